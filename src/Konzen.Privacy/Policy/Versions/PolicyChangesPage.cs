using System.Globalization;
using System.Net;
using System.Text;
using Konzen.Privacy.Policy.Rendering;

namespace Konzen.Privacy.Policy.Versions;

/// <summary>
/// The readable list of policy changes (S7.1) as one self-contained page in the policy's own style:
/// the version in force, every version published to take effect later, and every past change, newest
/// first, each change marked as needing consent or notice only, with its reason.
/// </summary>
public static class PolicyChangesPage
{
    public static string Html(IReadOnlyList<PolicyRelease> releases, DateTimeOffset now, PolicyLanguage language)
    {
        ArgumentNullException.ThrowIfNull(releases);
        var zh = language == PolicyLanguage.ZhCn;
        string T(string en, string zhCn) => zh ? zhCn : en;
        var title = T("Privacy policy changes", "隐私政策变更");
        var other = zh ? PolicyLanguage.En : PolicyLanguage.ZhCn;
        var html = new StringBuilder(16 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"").Append(language.Tag()).Append("\">\n<head>\n")
            .Append("<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(title).Append("</title>\n<style>\n").Append(HtmlWriter.Style)
            .Append("\n.material{font-weight:600}\n</style>\n</head>\n<body>\n<header>\n")
            .Append("<nav class=\"language\"><a href=\"/policy/changes?lang=").Append(other.Tag()).Append("\" hreflang=\"").Append(other.Tag())
            .Append("\" lang=\"").Append(other.Tag()).Append("\">").Append(zh ? "English" : "简体中文").Append("</a></nav>\n")
            .Append("<h1>").Append(title).Append("</h1>\n");
        var inForce = releases.LastOrDefault(r => r.EffectiveAt <= now) ?? (releases.Count > 0 ? releases[0] : null);
        if (inForce is not null)
        {
            html.Append("<p class=\"version\">").Append(Encode(T(
                $"In force: version {inForce.Number}, effective {Day(inForce.EffectiveAt)}.",
                $"现行版本：第 {inForce.Number} 版，自 {Day(inForce.EffectiveAt)} 起生效。"))).Append(" <a href=\"/policy?lang=").Append(language.Tag())
                .Append("\">").Append(T("Read the policy", "阅读隐私政策")).Append("</a></p>\n");
        }

        html.Append("</header>\n<main>\n");
        var listed = releases.Where(r => r.Changes.Count > 0 || r.EffectiveAt > now).Reverse().ToList();
        if (listed.Count == 0)
        {
            html.Append("<p>").Append(T("The policy has not changed since its first version.", "隐私政策自第一版以来未作变更。")).Append("</p>\n");
        }

        foreach (var release in listed)
        {
            var pending = release.EffectiveAt > now;
            html.Append("<section>\n<h2 id=\"v").Append(release.Sequence.ToString(CultureInfo.InvariantCulture)).Append("\">")
                .Append(Encode(T($"Version {release.Number}", $"第 {release.Number} 版"))).Append("</h2>\n<p class=\"version\">")
                .Append(Encode(pending
                    ? T($"Takes effect on {Day(release.EffectiveAt)}.", $"将于 {Day(release.EffectiveAt)} 生效。")
                    : T($"In effect since {Day(release.EffectiveAt)}.", $"自 {Day(release.EffectiveAt)} 起生效。")));
            if (release.PublishedAt is { } published)
            {
                html.Append(' ').Append(Encode(T($"Published {Day(published)}.", $"发布于 {Day(published)}。")));
            }

            html.Append("</p>\n");
            if (release.Changes.Count == 0)
            {
                html.Append("<p>").Append(T("No change in what is collected, used, shared or kept.", "收集、使用、共享或保存的信息没有变化。")).Append("</p>\n</section>\n");
                continue;
            }

            html.Append("<div class=\"table\"><table>\n<thead><tr><th>").Append(T("Change", "变更")).Append("</th><th>")
                .Append(T("Needs", "需要")).Append("</th><th>").Append(T("Why", "原因")).Append("</th></tr></thead>\n<tbody>\n");
            foreach (var change in release.Changes)
            {
                html.Append("<tr><td>").Append(Encode(change.What[language])).Append("</td><td")
                    .Append(change.Material ? " class=\"material\">" : ">")
                    .Append(change.Material ? T("your consent", "您的同意") : T("notice only", "仅告知"))
                    .Append("</td><td>").Append(Encode(change.Reason[language])).Append("</td></tr>\n");
            }

            html.Append("</tbody>\n</table></div>\n</section>\n");
        }

        html.Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
