using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Testing;

/// <summary>
/// Next versions of the shipped policy, made from its file by exact edits (so they follow every other
/// change of that file): <see cref="Material"/> with one change of each kind the diff knows, and
/// <see cref="NotMaterial"/> with only wording and a shorter answer time.
/// </summary>
public static class ChangedPolicy
{
    public const string NewPurpose = "functional.service.newsletter";
    public const string GainsCategory = "analytics.reporting";
    public const string NewRecipient = "measurement-partners";

    /// <summary>Version 1.1.0: a new purpose, a purpose gaining a category, a longer and a shorter retention, a new recipient, a new region and transfer, rights reworded.</summary>
    public static string Material() =>
        Edit(Common(TransferPolicy.Text(), "1.1.0"),
            ("    categories: [user.device, user.behavior.browsing_history, user.behavior.clicks, user.device.cookie_id]\n",
             "    categories: [user.device, user.behavior.browsing_history, user.behavior.clicks, user.device.cookie_id, user.location.imprecise]\n"),
            ("sharing:\n", $$"""
              - key: {{NewPurpose}}
                clause: S4.8
                name: { en: "newsletter", zh-CN: "新闻简报" }
                description: { en: "to send you our newsletter", zh-CN: "向您发送我们的新闻简报" }
                basis: consent
                optional: true
                categories: [user.contact.email]

            sharing:

            """),
            ("  k_anonymity: 10\n", $$"""
                - key: {{NewRecipient}}
                  clause: S5.2
                  name: { en: "measurement partners", zh-CN: "效果评估合作方" }
                  receives: de-identified
                  agreements: [data-processing-agreement]
                  purposes: [analytics.reporting.ad_performance]
                  categories: [user.device, user.behavior.clicks]
              k_anonymity: 10

            """),
            ("    retention: P1Y\n    region: CN\n\n  - key: user.device.device_id", "    retention: P2Y\n    region: CN\n\n  - key: user.device.device_id"),
            ("    retention: P90D\n    region: CN\n\n  - key: user.location.imprecise", "    retention: P30D\n    region: CN\n\n  - key: user.location.imprecise"));

    /// <summary>Version 1.0.1: a purpose's description reworded, a right reworded, requests answered sooner.</summary>
    public static string NotMaterial() => Common(PolicyLoader.ReadDefaultText(), "1.0.1");

    private static string Common(string text, string version) =>
        Edit(text,
            ("  version: 1.0.0\n", $"  version: {version}\n"),
            ("to help us design new services and improve our existing services\"", "to design new services and to improve the services we run now\""),
            ("name: { en: \"complain or report\"", "name: { en: \"complain or report a concern\""),
            ("  response_working_days: 15\n", "  response_working_days: 10\n"));

    private static string Edit(string text, params (string Anchor, string Replacement)[] edits)
    {
        foreach (var (anchor, replacement) in edits)
        {
            var index = text.IndexOf(anchor, StringComparison.Ordinal);
            if (index < 0 || text.IndexOf(anchor, index + 1, StringComparison.Ordinal) >= 0)
            {
                throw new InvalidOperationException($"The shipped policy no longer has exactly one '{anchor.Trim()}'; update {nameof(ChangedPolicy)}.");
            }

            text = string.Concat(text.AsSpan(0, index), replacement, text.AsSpan(index + anchor.Length));
        }

        return text;
    }
}
