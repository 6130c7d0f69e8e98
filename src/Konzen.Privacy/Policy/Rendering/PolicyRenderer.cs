namespace Konzen.Privacy.Policy.Rendering;

/// <summary>
/// Renders the complete human-readable privacy policy from a <see cref="PolicyDocument"/> alone.
/// Fixed sentences come from the renderer's string tables; every fact comes from the policy data,
/// and every paragraph and list item carries the id of the clause it states.
/// </summary>
public static class PolicyRenderer
{
    /// <summary>Renders <paramref name="policy"/> as a Markdown document or a complete HTML page in <paramref name="language"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The format is not one of <see cref="PolicyFormat"/>.</exception>
    public static string Render(PolicyDocument policy, PolicyFormat format, PolicyLanguage language)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var text = PolicyComposer.Compose(policy, language);
        return format switch
        {
            PolicyFormat.Markdown => MarkdownWriter.Write(text),
            PolicyFormat.Html => HtmlWriter.Write(text),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Expected Markdown or Html."),
        };
    }
}
