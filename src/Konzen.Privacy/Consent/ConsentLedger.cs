using Konzen.Privacy.Audit;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Residency;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Consent;

/// <summary>Why the ledger refused to record a consent change; <see cref="None"/> when it recorded it.</summary>
public enum ConsentRefusal
{
    /// <summary>Recorded.</summary>
    None,

    /// <summary>The policy does not declare the purpose (S4.9).</summary>
    UndeclaredPurpose,

    /// <summary>The purpose is not optional: it rests on necessity or law, so there is nothing to grant or withdraw.</summary>
    NotOptional,

    /// <summary>No such subject.</summary>
    UnknownSubject,

    /// <summary>The collection method is not one of web, app, api or guardian.</summary>
    UnknownMethod,
}

/// <summary>The outcome of a consent change: the signed receipt, or why nothing was recorded.</summary>
public sealed record ConsentChange(ConsentRefusal Refusal, ConsentReceipt? Receipt)
{
    public bool Recorded => Refusal == ConsentRefusal.None;
}

/// <summary>
/// The consent ledger: consents and withdrawals as append-only events, the current state derived
/// from them, and a signed receipt for every change. Optional purposes start withdrawn: a subject
/// with no events has consented to nothing (privacy by default).
/// </summary>
public sealed class ConsentLedger(
    PrivacyDbContext db,
    CompiledPolicy policy,
    AuditLog audit,
    ReceiptSigner signer,
    EvidenceHasher evidenceHasher,
    TimeProvider time,
    ConsentStateCache cache,
    ResidencyGuard residency)
{
    /// <summary>
    /// Records that <paramref name="subjectId"/> granted or withdrew consent to an optional purpose,
    /// with an audit entry in the same transaction, and returns the signed receipt. Necessary and
    /// undeclared purposes are refused and nothing is written. Throws <see cref="ResidencyViolationException"/>,
    /// writing nothing, when the subject's region is not the store's.
    /// </summary>
    public async Task<ConsentChange> RecordAsync(
        Guid subjectId,
        string purposeKey,
        bool granted,
        ConsentMethod method,
        ConsentEvidence? evidence,
        string actor,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(purposeKey);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var purposeId = policy.Purpose(purposeKey);
        if (purposeId == PurposeId.Undeclared)
        {
            return new ConsentChange(ConsentRefusal.UndeclaredPurpose, null);
        }

        var purpose = policy[purposeId];
        if (!purpose.Optional)
        {
            return new ConsentChange(ConsentRefusal.NotOptional, null);
        }

        if (!Enum.IsDefined(method))
        {
            return new ConsentChange(ConsentRefusal.UnknownMethod, null);
        }

        var region = await db.Set<Subject>().Where(s => s.Id == subjectId).Select(s => s.Region).FirstOrDefaultAsync(cancellationToken);
        if (region is null)
        {
            return new ConsentChange(ConsentRefusal.UnknownSubject, null);
        }

        // Before a receipt is signed: a consent record is the subject's data too (S2.3).
        residency.EnsureWritable(region);

        var at = WholeMicroseconds(time.GetUtcNow());
        var receiptId = Guid.CreateVersion7(at);
        var receipt = new ConsentReceipt(receiptId, signer.Sign(ReceiptPayload.Write(policy, purpose, granted, method, subjectId, receiptId, at)));
        db.Set<ConsentEvent>().Add(new ConsentEvent
        {
            SubjectId = subjectId,
            PurposeKey = purpose.Key,
            Granted = granted,
            PolicyHash = policy.Version.ContentHash,
            Method = method,
            At = at,
            EvidenceHash = evidenceHasher.Hash(evidence),
            ReceiptId = receiptId,
            Receipt = receipt.Jws,
        });
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            await audit.AppendAsync(
                db,
                new AuditRecord(actor, granted ? "consent.granted" : "consent.withdrawn", subjectId, Purpose: purpose.Key, Detail: ReceiptPayload.MethodName(method)),
                cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            if (db.Database.IsNpgsql())
            {
                // Inside the transaction: PostgreSQL delivers it only on commit, when every node can read the change.
                await db.Database.ExecuteSqlAsync($"SELECT pg_notify({ConsentChangeListener.Channel}, {Notification(subjectId)})", cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        cache.Evict(subjectId);
        return new ConsentChange(ConsentRefusal.None, receipt);
    }

    /// <summary>The notification payload: the subject's id, then the id of the node that changed it.</summary>
    private string Notification(Guid subjectId) => $"{subjectId:D} {cache.NodeId:D}";

    /// <summary>
    /// The subject as the purpose gate sees it: the optional purposes whose latest event is a grant,
    /// and the subject's region. An unknown subject gets an undeclared region, which every decision denies.
    /// </summary>
    public ValueTask<SubjectState> GetStateAsync(Guid subjectId, CancellationToken cancellationToken = default) =>
        cache.TryGet(subjectId, out var state) ? ValueTask.FromResult(state) : new ValueTask<SubjectState>(LoadStateAsync(subjectId, cancellationToken));

    /// <summary>Decides whether <paramref name="purpose"/> may use <paramref name="category"/> of the subject now.</summary>
    public async ValueTask<PurposeDecision> DecideAsync(Guid subjectId, CategoryId category, PurposeId purpose, CancellationToken cancellationToken = default)
    {
        var state = await GetStateAsync(subjectId, cancellationToken);
        return policy.Decide(state, category, purpose);
    }

    /// <summary>Every consent event of the subject, oldest first.</summary>
    public async Task<IReadOnlyList<ConsentEvent>> GetHistoryAsync(Guid subjectId, CancellationToken cancellationToken = default) =>
        await db.Set<ConsentEvent>().AsNoTracking()
            .Where(e => e.SubjectId == subjectId)
            .OrderBy(e => e.Id)
            .ToListAsync(cancellationToken);

    private async Task<SubjectState> LoadStateAsync(Guid subjectId, CancellationToken cancellationToken)
    {
        // Taken before reading, so that an eviction during the read keeps the result out of the cache.
        var generation = cache.Generation;
        var region = await db.Set<Subject>().AsNoTracking()
            .Where(s => s.Id == subjectId)
            .Select(s => s.Region)
            .FirstOrDefaultAsync(cancellationToken);
        if (region is null)
        {
            // Not cached: the subject may register in a moment, and nothing would evict this.
            return new SubjectState(ConsentSet.None, SubjectTraits.None, RegionId.Undeclared);
        }

        var events = await db.Set<ConsentEvent>().AsNoTracking()
            .Where(e => e.SubjectId == subjectId)
            .OrderBy(e => e.Id)
            .Select(e => new { e.PurposeKey, e.Granted })
            .ToListAsync(cancellationToken);
        var consents = ConsentSet.None;
        foreach (var e in events)
        {
            // A purpose a later policy dropped resolves to Undeclared and is skipped: the gate denies it anyway.
            var purpose = policy.Purpose(e.PurposeKey);
            if (purpose != PurposeId.Undeclared)
            {
                consents = e.Granted ? consents.With(purpose) : consents.Without(purpose);
            }
        }

        // Minors' traits come from the subject's age and guardian, which registration records later.
        var state = new SubjectState(consents, SubjectTraits.None, policy.Region(region));
        cache.Store(subjectId, state, generation);
        return state;
    }

    // PostgreSQL keeps timestamps to the microsecond; the receipt and the row must say the same instant.
    private static DateTimeOffset WholeMicroseconds(DateTimeOffset at) =>
        new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);
}
