using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Testing;

/// <summary>
/// A second policy for the residency tests: the Konzen policy as it ships, plus a second region (SG)
/// and one declared cross-border transfer to it, with purpose, recipient, security measures and risks.
/// Made from the shipped file by two exact edits, so it follows every other change of that file.
/// </summary>
public static class TransferPolicy
{
    public const string TransferId = "sg-ad-measurement";
    public const string Region = "SG";
    public const string Recipient = "advertisers";
    public const string Purpose = "analytics.reporting.ad_performance";
    public const string Risks = "authorities outside mainland China may demand access to the information";

    public static IReadOnlyList<string> Categories { get; } = ["user.device", "user.behavior.clicks"];

    /// <summary>The policy text; <paramref name="risks"/> changes the English notice (a changed notice needs a new consent).</summary>
    public static string Text(string risks = Risks) =>
        Edit(Edit(PolicyLoader.ReadDefaultText(),
            "regions:\n",
            "regions:\n  - id: SG\n    name: { en: \"Singapore\", zh-CN: \"新加坡\" }\n"),
            "cross_border_transfers: []\n",
            $$"""
            cross_border_transfers:
              - id: {{TransferId}}
                to_region: {{Region}}
                recipient: {{Recipient}}
                purposes: [{{Purpose}}]
                categories: [{{string.Join(", ", Categories)}}]
                security_measures: { en: "aggregated reports only, encrypted in transit and at rest, under a data processing agreement", zh-CN: "仅提供汇总报告，传输和存储均加密，并签订数据处理协议" }
                risks: { en: "{{risks}}", zh-CN: "中国境外的机关可能要求访问这些信息" }

            """);

    /// <summary>Writes <see cref="Text"/> to <c>transfer.policy.yaml</c> in <paramref name="folder"/> and returns its path.</summary>
    public static string Write(string folder, string risks = Risks)
    {
        var path = Path.Combine(folder, "transfer.policy.yaml");
        File.WriteAllText(path, Text(risks));
        return path;
    }

    private static string Edit(string text, string anchor, string replacement)
    {
        var index = text.IndexOf(anchor, StringComparison.Ordinal);
        if (index < 0 || text.IndexOf(anchor, index + 1, StringComparison.Ordinal) >= 0)
        {
            throw new InvalidOperationException($"The shipped policy no longer has exactly one '{anchor.Trim()}'; update {nameof(TransferPolicy)}.");
        }

        return string.Concat(text.AsSpan(0, index), replacement, text.AsSpan(index + anchor.Length));
    }
}
