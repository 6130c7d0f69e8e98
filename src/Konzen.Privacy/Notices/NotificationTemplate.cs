using System.Collections.Frozen;
using System.Text;
using System.Text.RegularExpressions;
using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Notices;

/// <summary>
/// A notification's text in English and Simplified Chinese, with <c>{name}</c> placeholders that
/// the outbox fills from the values given when it is enqueued. Register every template in
/// <see cref="NotificationTemplates"/>: the dispatcher renders a stored notification by its key.
/// <paramref name="Purpose"/> names the optional purpose a notice serves when it is not the service
/// itself (surveys): the dispatcher then reads the address for that purpose, so the purpose gate
/// stops the delivery once the subject's consent no longer holds.
/// </summary>
public sealed partial record NotificationTemplate(string Key, LocalizedText Subject, LocalizedText Body, string? Purpose = null)
{
    /// <summary>The placeholder names the template uses, in either language.</summary>
    public IReadOnlySet<string> Placeholders { get; } = Find(Subject, Body);

    /// <summary>The subject line and body in <paramref name="language"/> with every placeholder replaced.</summary>
    public (string Subject, string Body) Render(PolicyLanguage language, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return (Fill(Subject[language], values), Fill(Body[language], values));
    }

    /// <summary>Null when <paramref name="values"/> gives exactly the template's placeholders; otherwise what is wrong.</summary>
    public string? Check(IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var missing = Placeholders.Where(p => !values.ContainsKey(p)).Order(StringComparer.Ordinal).ToList();
        var unknown = values.Keys.Where(k => !Placeholders.Contains(k)).Order(StringComparer.Ordinal).ToList();
        return missing.Count == 0 && unknown.Count == 0
            ? null
            : $"template {Key}: missing values [{string.Join(", ", missing)}], unknown values [{string.Join(", ", unknown)}]";
    }

    private static string Fill(string text, IReadOnlyDictionary<string, string> values) =>
        Placeholder().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var value) ? value : m.Value);

    private static FrozenSet<string> Find(LocalizedText subject, LocalizedText body)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var text in (string[])[subject.En, subject.ZhCn, body.En, body.ZhCn])
        {
            foreach (Match match in Placeholder().Matches(text))
            {
                names.Add(match.Groups[1].Value);
            }
        }

        return names.ToFrozenSet(StringComparer.Ordinal);
    }

    [GeneratedRegex(@"\{([a-zA-Z][a-zA-Z0-9]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}

/// <summary>Every notification the service sends, by key. Later features add theirs here.</summary>
public static class NotificationTemplates
{
    /// <summary>
    /// The notice of a controller transfer (S5.5): who takes over, what changes (only the name), what
    /// stays (the same policy, purposes, rights and protection) and how to object.
    /// Values: <c>from</c>, <c>to</c>, <c>effective</c> (yyyy-MM-dd), <c>policyVersion</c>, <c>policyHash</c>.
    /// </summary>
    public static readonly NotificationTemplate ControllerTransferred = new(
        "controller-transferred",
        new LocalizedText(
            "{to} is now responsible for your personal information",
            "{to} 现在负责处理您的个人信息"),
        new LocalizedText(
            new StringBuilder()
                .Append("From {effective}, {to} takes over from {from} as the company responsible for your personal information (the controller).\n\n")
                .Append("What changes: only the name of the company responsible, which is now {to}.\n\n")
                .Append("What stays the same: the same privacy policy (version {policyVersion}, content hash {policyHash}), ")
                .Append("the same purposes, the same rights and the same protection of your information. {to} is bound by that policy.\n\n")
                .Append("If you object: you can withdraw any consent at any time in the privacy center, or cancel your account, ")
                .Append("after which your personal information is deleted.")
                .ToString(),
            new StringBuilder()
                .Append("自 {effective} 起，{to} 接替 {from}，成为负责处理您个人信息的公司（个人信息处理者）。\n\n")
                .Append("变化：仅负责处理您个人信息的公司名称变更为 {to}。\n\n")
                .Append("不变：同一份隐私政策（版本 {policyVersion}，内容哈希 {policyHash}）、同样的处理目的、同样的权利以及对您信息同样的保护。{to} 受该政策约束。\n\n")
                .Append("如您不同意：您可以随时在隐私中心撤回任何同意，或注销您的账户，之后您的个人信息将被删除。")
                .ToString()));

    /// <summary>
    /// An invitation to a survey (S4.8), sent only to subjects whose consent to
    /// <c>functional.service.surveys</c> holds, and delivered only while it still does.
    /// Values: <c>titleEn</c>, <c>titleZh</c>, <c>linkEn</c>, <c>linkZh</c> (each language shows its own title and link).
    /// </summary>
    public static readonly NotificationTemplate SurveyInvitation = new(
        "survey-invitation",
        new LocalizedText(
            "Survey invitation: {titleEn}",
            "问卷调查邀请：{titleZh}"),
        new LocalizedText(
            new StringBuilder()
                .Append("You agreed to be invited to surveys about our products and services, so we invite you to this one: {titleEn}.\n\n")
                .Append("Take part here: {linkEn}\n\n")
                .Append("Taking part is voluntary. You can stop these invitations at any time by withdrawing your consent to surveys in the privacy center.")
                .ToString(),
            new StringBuilder()
                .Append("您同意接收有关我们产品和服务的问卷调查邀请，因此我们邀请您参与本次调查：{titleZh}。\n\n")
                .Append("参与链接：{linkZh}\n\n")
                .Append("参与完全自愿。您可以随时在隐私中心撤回对问卷调查的同意，停止接收此类邀请。")
                .ToString()),
        Purpose: "functional.service.surveys");

    private static readonly FrozenDictionary<string, NotificationTemplate> ByKey =
        new[] { ControllerTransferred, SurveyInvitation }.ToFrozenDictionary(t => t.Key, StringComparer.Ordinal);

    /// <summary>Every registered template.</summary>
    public static IEnumerable<NotificationTemplate> All => ByKey.Values;

    /// <summary>The template with this key, or null.</summary>
    public static NotificationTemplate? Find(string key) => ByKey.GetValueOrDefault(key);
}
