using Konzen.Privacy.Audit;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Residency;

/// <summary>Why a transfer of a subject's data to a destination was allowed or refused.</summary>
public enum TransferReason
{
    /// <summary>The destination is the subject's own region: no cross-border transfer (S2.3).</summary>
    WithinRegion,

    /// <summary>Allowed: the policy declares the transfer and the subject consented to its current notice.</summary>
    Consented,

    /// <summary>No such subject, or the subject's region is not one the policy declares.</summary>
    UnknownSubject,

    /// <summary>The request names no category of personal information.</summary>
    InvalidRequest,

    /// <summary>The policy declares no transfer to this region (declared or not), recipient and purpose covering these categories.</summary>
    NotDeclared,

    /// <summary>The purpose gate refuses the purpose's use of a category of this subject.</summary>
    PurposeNotAllowed,

    /// <summary>The transfer is declared, but the subject has not consented to it, or withdrew.</summary>
    NotConsented,

    /// <summary>The subject consented to a notice that has since changed; the new one needs a new consent.</summary>
    NoticeChanged,
}

/// <summary>The answer of the transfer gate. Fails closed: only <see cref="TransferReason.WithinRegion"/> and <see cref="TransferReason.Consented"/> allow.</summary>
/// <param name="Detail">One sentence for people: why, without personal data.</param>
/// <param name="TransferId">The declared transfer the decision rests on, when one matched.</param>
public sealed record TransferDecision(bool Allowed, TransferReason Reason, string Clause, string Detail, string? TransferId = null);

/// <summary>Why a transfer consent was not recorded; <see cref="None"/> when it was.</summary>
public enum TransferConsentRefusal
{
    None,

    /// <summary>The policy declares no transfer with this id.</summary>
    UnknownTransfer,

    /// <summary>No such subject.</summary>
    UnknownSubject,

    /// <summary>A consent must name the hash of a current notice of the transfer; this one names none.</summary>
    NoticeOutdated,
}

/// <summary>A subject's current choice for one declared transfer.</summary>
/// <param name="Current">Whether the consent names a notice that is still current (a grant on an older notice no longer counts).</param>
public sealed record TransferConsentStatus(string TransferId, bool Granted, string? NoticeHash, string? Language, DateTimeOffset At, bool Current);

/// <summary>The outcome of a consent change: the new status, or why nothing was recorded.</summary>
public sealed record TransferConsentChange(TransferConsentRefusal Refusal, TransferConsentStatus? Status);

/// <summary>
/// Cross-border transfers (S2.4). A subject's data goes to a destination outside the subject's region
/// only when the policy declares that transfer (destination region, recipient, purpose, and every
/// category covered), the purpose gate allows the purpose's use of each category, and the subject gave
/// separate consent to the transfer's current notice (its purpose, recipient, security measures and
/// risks). Anything else is refused, which for the Konzen policy, declaring no transfer, is everything.
/// </summary>
public sealed class TransferGate(
    PrivacyDbContext db, CompiledPolicy policy, TransferNotices notices, ConsentLedger ledger, AuditLog audit, TimeProvider time)
{
    private const string ResidencyClause = "S2.3";
    private const string TransferClause = "S2.4";

    /// <summary>May data of <paramref name="categories"/> of the subject go to <paramref name="recipient"/> in <paramref name="toRegion"/> for <paramref name="purpose"/>?</summary>
    public async Task<TransferDecision> DecideAsync(
        Guid subjectId, string toRegion, string recipient, string purpose, IReadOnlyCollection<string> categories, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(toRegion);
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(purpose);
        ArgumentNullException.ThrowIfNull(categories);
        var state = await ledger.GetStateAsync(subjectId, cancellationToken);
        if (state.Region == RegionId.Undeclared)
        {
            return new TransferDecision(false, TransferReason.UnknownSubject, ResidencyClause, "The subject is unknown or homed in a region the policy does not declare.");
        }

        var home = policy.Document.Regions[state.Region.Value].Id;
        if (categories.Count == 0)
        {
            return new TransferDecision(false, TransferReason.InvalidRequest, TransferClause, "A transfer names at least one category of personal information.");
        }

        if (policy.Region(toRegion) == state.Region)
        {
            return new TransferDecision(true, TransferReason.WithinRegion, ResidencyClause, $"The destination is the subject's own region, {home}: no cross-border transfer.");
        }

        var declared = notices.All.Where(t => t.Transfer.ToRegion == toRegion
            && t.Transfer.Recipient == recipient
            && t.Transfer.Purposes.Contains(purpose, StringComparer.Ordinal)
            && categories.All(c => t.Transfer.Categories.Contains(c, StringComparer.Ordinal))).ToList();
        if (declared.Count == 0)
        {
            return new TransferDecision(false, TransferReason.NotDeclared, TransferClause,
                $"The policy declares no transfer from {home} to {toRegion} for this recipient, purpose and information; transfers out of {home} are refused.");
        }

        foreach (var category in categories)
        {
            var gate = policy.Decide(state, policy.Category(category), policy.Purpose(purpose));
            if (!gate.Allowed)
            {
                return new TransferDecision(false, TransferReason.PurposeNotAllowed, gate.Clause,
                    $"The purpose may not use this subject's '{category}': {gate.Reason}.", declared[0].Id);
            }
        }

        TransferDecision? refusal = null;
        foreach (var transfer in declared)
        {
            var latest = await Latest(subjectId, transfer.Id).FirstOrDefaultAsync(cancellationToken);
            if (latest is { Granted: true } && transfer.NoticeWithHash(latest.NoticeHash) is not null)
            {
                return new TransferDecision(true, TransferReason.Consented, TransferClause,
                    $"Declared transfer '{transfer.Id}', separately consented to its current notice.", transfer.Id);
            }

            refusal ??= latest is { Granted: true }
                ? new TransferDecision(false, TransferReason.NoticeChanged, TransferClause,
                    $"The notice of transfer '{transfer.Id}' changed since the subject consented; the new notice needs a new consent.", transfer.Id)
                : new TransferDecision(false, TransferReason.NotConsented, TransferClause,
                    $"Transfer '{transfer.Id}' needs the subject's separate consent to its notice, which the subject has not given.", transfer.Id);
        }

        return refusal!;
    }

    /// <summary>
    /// Records that the subject consented to (<paramref name="granted"/> true) or withdrew from a declared
    /// transfer, with an audit entry in the same transaction. A consent must name the hash of the current
    /// notice the subject was shown, in either language; a withdrawal needs none.
    /// </summary>
    public async Task<TransferConsentChange> RecordConsentAsync(
        Guid subjectId, string transferId, bool granted, string? noticeHash, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transferId);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        if (notices.Find(transferId) is not { } transfer)
        {
            return new TransferConsentChange(TransferConsentRefusal.UnknownTransfer, null);
        }

        var notice = transfer.NoticeWithHash(noticeHash);
        if (granted && notice is null)
        {
            return new TransferConsentChange(TransferConsentRefusal.NoticeOutdated, null);
        }

        if (!await db.Set<Subject>().AnyAsync(s => s.Id == subjectId, cancellationToken))
        {
            return new TransferConsentChange(TransferConsentRefusal.UnknownSubject, null);
        }

        var row = new TransferConsent
        {
            SubjectId = subjectId,
            TransferId = transfer.Id,
            NoticeHash = notice?.Hash,
            Language = notice?.Language.Tag(),
            Granted = granted,
            At = time.GetUtcNow(),
        };
        db.Set<TransferConsent>().Add(row);
        await audit.SaveChangesAsync(
            db,
            new AuditRecord(actor, granted ? "transfer.consented" : "transfer.withdrawn", subjectId,
                Detail: notice is null ? $"transfer {transfer.Id}" : $"transfer {transfer.Id}; notice {notice.Language.Tag()} {notice.Hash}"),
            cancellationToken);
        return new TransferConsentChange(TransferConsentRefusal.None, Status(transfer, row));
    }

    /// <summary>The subject's current choice for each declared transfer it ever decided on, by transfer id.</summary>
    public async Task<IReadOnlyDictionary<string, TransferConsentStatus>> GetConsentsAsync(Guid subjectId, CancellationToken cancellationToken = default)
    {
        var rows = await db.Set<TransferConsent>().AsNoTracking()
            .Where(c => c.SubjectId == subjectId)
            .OrderBy(c => c.Id)
            .ToListAsync(cancellationToken);
        var latest = new Dictionary<string, TransferConsentStatus>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            // A transfer a later policy dropped is left out: nothing can rest on it any more.
            if (notices.Find(row.TransferId) is { } transfer)
            {
                latest[row.TransferId] = Status(transfer, row);
            }
        }

        return latest;
    }

    private static TransferConsentStatus Status(DeclaredTransfer transfer, TransferConsent row) =>
        new(row.TransferId, row.Granted, row.NoticeHash, row.Language, row.At, transfer.NoticeWithHash(row.NoticeHash) is not null);

    private IQueryable<TransferConsent> Latest(Guid subjectId, string transferId) =>
        db.Set<TransferConsent>().AsNoTracking()
            .Where(c => c.SubjectId == subjectId && c.TransferId == transferId)
            .OrderByDescending(c => c.Id);
}
