using System.Net;
using System.Text.RegularExpressions;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Policy.Rendering;

namespace Konzen.Privacy.Tests.Policy;

/// <summary>Reads rendered policies back: visible text, clause blocks and the retention table, for either format.</summary>
internal static partial class RenderedPolicy
{
    public static PolicyDocument Default { get; } = PolicyLoader.LoadDefault();

    public static TheoryData<PolicyFormat, PolicyLanguage> Outputs => new()
    {
        { PolicyFormat.Markdown, PolicyLanguage.En },
        { PolicyFormat.Markdown, PolicyLanguage.ZhCn },
        { PolicyFormat.Html, PolicyLanguage.En },
        { PolicyFormat.Html, PolicyLanguage.ZhCn },
    };

    public static TheoryData<PolicyLanguage> Languages => new() { PolicyLanguage.En, PolicyLanguage.ZhCn };

    /// <summary>Loads an edited copy of the default policy file; the edit must leave a valid policy.</summary>
    public static PolicyDocument Edited(Func<string, string> edit)
    {
        var original = PolicyLoader.ReadDefaultText();
        var yaml = edit(original);
        Assert.NotEqual(original, yaml);
        var result = PolicyLoader.Load(yaml, "edited.policy.yaml");
        Assert.Empty(result.Errors);
        return result.Policy!;
    }

    /// <summary>Replaces the first <paramref name="old"/> after <paramref name="marker"/>, so an edit hits one entry only.</summary>
    public static string ReplaceAfter(this string yaml, string marker, string old, string replacement)
    {
        var start = yaml.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, $"'{marker}' is not in the policy file");
        var at = yaml.IndexOf(old, start, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{old}' does not follow '{marker}'");
        return string.Concat(yaml.AsSpan(0, at), replacement, yaml.AsSpan(at + old.Length));
    }

    /// <summary>What a reader sees: markup, anchors and escapes removed.</summary>
    public static string VisibleText(string output, PolicyFormat format) => format == PolicyFormat.Html
        ? WebUtility.HtmlDecode(Tag().Replace(Style().Replace(output, string.Empty), string.Empty))
        : MarkdownEscape().Replace(MarkdownLink().Replace(MarkdownAnchor().Replace(output, string.Empty), "$1"), "$1").Replace("**", string.Empty, StringComparison.Ordinal);

    /// <summary>Every anchored block (paragraph, list item, table, glossary definition) of an HTML rendering, in order.</summary>
    public static IReadOnlyList<(string Id, string Clause, string Text)> HtmlBlocks(string html) =>
        [.. HtmlBlock().Matches(html).Select(m => (
            Attribute(m.Groups["attributes"].Value, "id"),
            Attribute(m.Groups["attributes"].Value, "data-clause"),
            VisibleText(m.Groups["content"].Value, PolicyFormat.Html)))];

    /// <summary>The visible text of all HTML blocks anchored to <paramref name="clause"/>.</summary>
    public static string ClauseText(string html, string clause) =>
        string.Join("\n", HtmlBlocks(html).Where(b => b.Clause == clause).Select(b => b.Text));

    /// <summary>The rows of the storage table, keyed by the category name in the first cell.</summary>
    public static IReadOnlyDictionary<string, string[]> TableRows(string output, PolicyFormat format)
    {
        var rows = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        if (format == PolicyFormat.Html)
        {
            foreach (Match row in HtmlRow().Matches(output))
            {
                var cells = row.Groups["cell"].Captures.Select(c => VisibleText(c.Value, PolicyFormat.Html)).ToArray();
                rows[cells[0]] = cells;
            }
        }
        else
        {
            var lines = output.Split('\n');
            for (var i = 2; i < lines.Length; i++)
            {
                if (lines[i].StartsWith('|') && lines[i - 1].StartsWith('|') && !lines[i].StartsWith("| ---", StringComparison.Ordinal) && lines[i - 2].StartsWith('|'))
                {
                    var cells = lines[i].Trim('|').Split(" | ").Select(c => VisibleText(c.Trim(), PolicyFormat.Markdown)).ToArray();
                    rows[cells[0]] = cells;
                }
            }
        }

        return rows;
    }

    private static string Attribute(string attributes, string name)
    {
        var match = Regex.Match(attributes, $"\\b{name}=\"([^\"]*)\"");
        return match.Success ? match.Groups[1].Value : string.Empty;
    }

    [GeneratedRegex("<style>.*?</style>", RegexOptions.Singleline)]
    private static partial Regex Style();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tag();

    [GeneratedRegex("<a id=\"[^\"]*\"></a>")]
    private static partial Regex MarkdownAnchor();

    [GeneratedRegex(@"(?<!\\)\[((?:[^\]\\]|\\.)*)\]\([^)]*\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"\\(.)")]
    private static partial Regex MarkdownEscape();

    [GeneratedRegex("<(?<tag>p|li|dd|table)(?<attributes>[^>]*)>(?<content>.*?)</\\k<tag>>", RegexOptions.Singleline)]
    private static partial Regex HtmlBlock();

    [GeneratedRegex("<tr>(?:<td>(?<cell>.*?)</td>)+</tr>")]
    private static partial Regex HtmlRow();
}
