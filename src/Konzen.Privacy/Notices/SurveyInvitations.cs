using Konzen.Privacy.Audit;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Notices;

/// <summary>A survey to invite subjects to: its title and link, each in English and Simplified Chinese.</summary>
public sealed record SurveyInvitation(LocalizedText Title, LocalizedText Link);

/// <summary>One field of a <see cref="SurveyInvitation"/> that is wrong (<c>title.en</c>, <c>link.zh-CN</c>, …) and what it must be.</summary>
public sealed record SurveyFieldError(string Field, string Expected);

/// <summary>
/// What sending an invitation did: the survey's id (in the audit entry) and how many subjects it was
/// queued for, or, when <see cref="Errors"/> is not empty, nothing at all.
/// </summary>
public sealed record SurveyInvitationResult(Guid SurveyId, int Queued, IReadOnlyList<SurveyFieldError> Errors)
{
    public bool Accepted => Errors.Count == 0;
}

/// <summary>
/// Survey invitations (S4.8): queued through the <see cref="NotificationOutbox"/> (in-app, plus the
/// subject's mail or SMS channel) only for subjects whose consent to <see cref="Purpose"/> holds when
/// it is queued, as the purpose gate decides it (so never for a subject the gate keeps from surveys,
/// such as a minor). The template names the purpose, so the dispatcher reads the address for surveys
/// and a subject who withdraws before delivery is not mailed or texted.
/// </summary>
public sealed class SurveyInvitations(PrivacyDbContext db, NotificationOutbox outbox, ConsentLedger ledger, CompiledPolicy policy, AuditLog audit, TimeProvider time)
{
    /// <summary>The purpose a survey invitation serves.</summary>
    public const string Purpose = "functional.service.surveys";

    /// <summary>The longest title, in characters; it is the mail's subject line.</summary>
    public const int MaxTitleLength = 200;

    /// <summary>The longest link, in characters.</summary>
    public const int MaxLinkLength = 2_000;

    /// <summary>
    /// What is wrong with <paramref name="invitation"/>: each language's title must be given, at most
    /// <see cref="MaxTitleLength"/> characters on one line; each link an absolute <c>https</c> address
    /// of at most <see cref="MaxLinkLength"/> characters. Empty when it may be sent.
    /// </summary>
    public static IReadOnlyList<SurveyFieldError> Check(SurveyInvitation? invitation)
    {
        var errors = new List<SurveyFieldError>();
        foreach (var language in (PolicyLanguage[])[PolicyLanguage.En, PolicyLanguage.ZhCn])
        {
            var title = invitation?.Title?[language];
            if (string.IsNullOrWhiteSpace(title) || title.Length > MaxTitleLength || title.Any(char.IsControl))
            {
                errors.Add(new SurveyFieldError($"title.{language.Tag()}", $"a title of 1 to {MaxTitleLength} characters on one line"));
            }

            var link = invitation?.Link?[language];
            if (link is null || link.Length > MaxLinkLength || link.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
                || !Uri.TryCreate(link, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || !string.IsNullOrEmpty(uri.UserInfo))
            {
                errors.Add(new SurveyFieldError($"link.{language.Tag()}", $"an absolute https:// address of at most {MaxLinkLength} characters"));
            }
        }

        return errors;
    }

    /// <summary>
    /// Queues the invitation for every subject whose consent to surveys holds now, then records it in
    /// the audit log (actor, survey id, how many). An invitation that fails <see cref="Check"/> writes nothing.
    /// </summary>
    public async Task<SurveyInvitationResult> SendAsync(SurveyInvitation invitation, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var errors = Check(invitation);
        if (errors.Count > 0)
        {
            return new SurveyInvitationResult(Guid.Empty, 0, errors);
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["titleEn"] = invitation.Title.En,
            ["titleZh"] = invitation.Title.ZhCn,
            ["linkEn"] = invitation.Link.En,
            ["linkZh"] = invitation.Link.ZhCn,
        };

        // Every subject's consent state in one pass over the ledger (current, not cached), then the gate
        // per subject for the category its channel would read. One registered after this read is left out.
        var ids = await db.Subjects.AsNoTracking().Select(s => s.Id).ToListAsync(cancellationToken);
        var states = await ledger.GetStatesAsync(ids, cancellationToken);
        var purpose = policy.Purpose(Purpose);
        var email = policy.Category(PersonalDataVault.EmailField);
        var phone = policy.Category(PersonalDataVault.PhoneField);
        bool Holds(Guid subjectId, NotificationChannel? channel) =>
            states.TryGetValue(subjectId, out var state)
            && policy.Decide(in state, channel == NotificationChannel.Sms ? phone : email, purpose).Allowed;

        var surveyId = Guid.CreateVersion7(time.GetUtcNow());
        var queued = await outbox.EnqueueWhereAsync(NotificationTemplates.SurveyInvitation, values, Holds, cancellationToken);

        // After the batches, which commit one by one: the entry says how many were queued in the end.
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "survey.invited", Purpose: Purpose, Detail: $"survey {surveyId:D}: queued for {queued} consenting subjects"), cancellationToken);
        return new SurveyInvitationResult(surveyId, queued, []);
    }
}
