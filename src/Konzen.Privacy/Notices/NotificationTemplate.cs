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
    /// To the address a minor named as their guardian (S8.1): the code that verifies it and approves the
    /// account, and a link carrying it. Names nobody: the minor's personal data stays out of the message.
    /// Values: <c>code</c>, <c>hours</c> (how long it works), <c>link</c>.
    /// </summary>
    public static readonly NotificationTemplate GuardianVerification = new(
        "guardian-verification",
        new LocalizedText(
            "Konzen: confirm that you are the guardian of a young account holder",
            "Konzen：确认您是一名未成年账户持有人的监护人"),
        new LocalizedText(
            new StringBuilder()
                .Append("Someone under 18 who is registering with Konzen named you as their parent or guardian.\n\n")
                .Append("Your code is {code}. It works once, for {hours} hours. Entering it (or opening {link}) confirms that you are the guardian and ")
                .Append("approves the account for the services it needs; you then choose, purpose by purpose, what else may happen with the account holder's information, ")
                .Append("and you can withdraw any of it at any time.\n\n")
                .Append("If you are not their guardian, ignore this message: nothing optional happens without you.")
                .ToString(),
            new StringBuilder()
                .Append("一名未满 18 周岁、正在注册 Konzen 的用户将您指定为其父母或其他监护人。\n\n")
                .Append("您的验证码是 {code}，仅可使用一次，{hours} 小时内有效。输入验证码（或打开 {link}）即确认您是监护人，")
                .Append("并同意该账户使用其所需的服务；之后您可以逐项选择是否同意对该账户持有人信息的其他处理，并可随时撤回。\n\n")
                .Append("如您不是其监护人，请忽略本消息：未经您同意，不会进行任何可选的处理。")
                .ToString()));

    /// <summary>
    /// To a minor (in-app, and by mail or SMS) when their verified guardian gave or withdrew consent to a purpose (S8.1).
    /// Values: <c>purpose</c> (the purpose key), <c>date</c> (yyyy-MM-dd).
    /// </summary>
    public static readonly NotificationTemplate GuardianConsent = new(
        "guardian-consent",
        new LocalizedText(
            "Your guardian changed a consent for your account",
            "您的监护人更改了您账户的一项同意"),
        new LocalizedText(
            "On {date} your verified guardian gave or withdrew consent for the purpose {purpose}. "
                + "The privacy center shows every consent change with its receipt; you can always withdraw a consent yourself.",
            "{date}，您经验证的监护人对处理目的 {purpose} 作出或撤回了同意。"
                + "隐私中心列出每一次同意变更及其凭证；您本人随时可以撤回任何同意。"));

    /// <summary>
    /// The notice of a security incident that may have touched the subject's information (S3.3, PIPL Art. 57):
    /// what happened, which information, what was done, what the subject can do, and whom to ask.
    /// Values: <c>occurredFrom</c>, <c>occurredTo</c>, <c>detected</c> (yyyy-MM-dd), <c>categories</c> (English names), <c>categoriesZh</c> (Chinese names), <c>cause</c>, <c>measures</c>, <c>contact</c>.
    /// </summary>
    public static readonly NotificationTemplate SecurityIncident = new(
        "security-incident",
        new LocalizedText(
            "A security incident may have affected your personal information",
            "一起安全事件可能涉及您的个人信息"),
        new LocalizedText(
            new StringBuilder()
                .Append("What happened: between {occurredFrom} and {occurredTo} a security incident occurred that may have exposed some of your personal information. We detected it on {detected}. Cause: {cause}\n\n")
                .Append("Which information: {categories}.\n\n")
                .Append("What we did: {measures}\n\n")
                .Append("What you can do: change your password, be careful with messages that ask for codes or passwords, and review or withdraw your consents in the privacy center.\n\n")
                .Append("Questions: contact our privacy officer at {contact}.")
                .ToString(),
            new StringBuilder()
                .Append("发生了什么：在 {occurredFrom} 至 {occurredTo} 期间发生了一起安全事件，您的部分个人信息可能因此泄露。我们于 {detected} 发现了该事件。原因：{cause}\n\n")
                .Append("涉及的信息：{categoriesZh}。\n\n")
                .Append("我们采取的措施：{measures}\n\n")
                .Append("您可以做什么：修改您的密码，警惕索要验证码或密码的消息，并可在隐私中心查看或撤回您的同意。\n\n")
                .Append("如有疑问：请联系我们的个人信息保护负责人 {contact}。")
                .ToString()));

    /// <summary>
    /// The notice that the service ends (S2.5): the last day, that registration and optional collection
    /// have stopped, and when everything held about the subject is deleted or anonymized.
    /// Values: <c>controller</c>, <c>ceaseOn</c>, <c>deleteBy</c> (yyyy-MM-dd), <c>contact</c>.
    /// </summary>
    public static readonly NotificationTemplate ServiceCessation = new(
        "service-cessation",
        new LocalizedText(
            "{controller} ends its service on {ceaseOn}",
            "{controller} 将于 {ceaseOn} 停止服务"),
        new LocalizedText(
            new StringBuilder()
                .Append("{controller} is ending its service. It stops on {ceaseOn}.\n\n")
                .Append("From now on no new accounts are opened and no optional information (location, log events) is collected.\n\n")
                .Append("Until {ceaseOn} you can still download everything we hold about you in the privacy center.\n\n")
                .Append("After that day your personal information is deleted or anonymized, by {deleteBy} at the latest: the keys that protect it are destroyed, so no copy can be read again.\n\n")
                .Append("Questions: {contact}.")
                .ToString(),
            new StringBuilder()
                .Append("{controller} 将停止服务，停止日期为 {ceaseOn}。\n\n")
                .Append("自即日起，不再开设新账户，也不再收集任何可选信息（位置、日志事件）。\n\n")
                .Append("在 {ceaseOn} 之前，您仍可在隐私中心下载我们持有的关于您的全部信息。\n\n")
                .Append("此后，您的个人信息将被删除或匿名化，最迟不晚于 {deleteBy}：保护这些信息的密钥将被销毁，任何副本都无法再被读取。\n\n")
                .Append("如有疑问：{contact}。")
                .ToString()));

    /// <summary>
    /// The notice of a new policy version (S7.1), sent when it is published, at least the policy's
    /// notice period before it takes effect. Values: <c>version</c>, <c>effective</c> (yyyy-MM-dd), <c>link</c>.
    /// </summary>
    public static readonly NotificationTemplate PolicyVersion = new(
        "policy-version",
        new LocalizedText(
            "Our privacy policy changes on {effective}",
            "我们的隐私政策将于 {effective} 变更"),
        new LocalizedText(
            new StringBuilder()
                .Append("Version {version} of our privacy policy takes effect on {effective}.\n\n")
                .Append("What changes, and which changes need your consent, is listed at {link}.\n\n")
                .Append("Anything new that needs your consent (a new purpose, new information, a new recipient or a longer retention) stays off until you agree to it, ")
                .Append("and saying no never stops you from using the service. Other changes apply when you use the service after that date.")
                .ToString(),
            new StringBuilder()
                .Append("我们的隐私政策第 {version} 版将于 {effective} 生效。\n\n")
                .Append("变更内容以及哪些变更需要您的同意，请见 {link}。\n\n")
                .Append("需要您同意的新内容（新的处理目的、新的信息、新的接收方或更长的保存期限）在您同意之前保持关闭，")
                .Append("拒绝不会影响您使用本服务。其他变更在该日期之后您继续使用本服务时适用。")
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
        new[] { ControllerTransferred, GuardianVerification, GuardianConsent, SecurityIncident, ServiceCessation, PolicyVersion, SurveyInvitation }
            .ToFrozenDictionary(t => t.Key, StringComparer.Ordinal);

    /// <summary>Every registered template.</summary>
    public static IEnumerable<NotificationTemplate> All => ByKey.Values;

    /// <summary>The template with this key, or null.</summary>
    public static NotificationTemplate? Find(string key) => ByKey.GetValueOrDefault(key);
}
