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

    /// <summary>No such subject or visitor.</summary>
    UnknownSubject,

    /// <summary>The collection method is not one of web, app, api or guardian.</summary>
    UnknownMethod,

    /// <summary>The subject is a minor and the policy excludes the purpose for minors: nobody can grant it (S8.1).</summary>
    MinorRestricted,

    /// <summary>The subject is a minor: only a verified guardian can grant an optional purpose (S8.1); withdrawing is always taken.</summary>
    GuardianConsentRequired,
}

/// <summary>The outcome of a consent change: the signed receipt, or why nothing was recorded.</summary>
public sealed record ConsentChange(ConsentRefusal Refusal, ConsentReceipt? Receipt)
{
    public bool Recorded => Refusal == ConsentRefusal.None;
}

/// <summary>
/// The outcome of a visitor's choice in the consent banner: the visitor's id (new when the visitor had
/// none, or an id the store does not know), the receipts of the events recorded, or why nothing was.
/// </summary>
/// <param name="Refusal">Why nothing was recorded; <see cref="ConsentRefusal.None"/> when the choice was taken.</param>
/// <param name="Purpose">The purpose key that was refused, when one was.</param>
/// <param name="VisitorId">The visitor the choice is kept for; empty when refused.</param>
/// <param name="Receipts">One signed receipt per recorded event (none when nothing changed).</param>
public sealed record VisitorChoice(ConsentRefusal Refusal, string? Purpose, Guid VisitorId, IReadOnlyList<ConsentReceipt> Receipts)
{
    public bool Recorded => Refusal == ConsentRefusal.None;
}

/// <summary>
/// The consent ledger: consents and withdrawals as append-only events, the current state derived
/// from them, and a signed receipt for every change. Optional purposes start withdrawn: a subject
/// with no events has consented to nothing (privacy by default). Anonymous visitors who chose in the
/// consent banner (<see cref="Visitor"/>) are kept the same way: wherever a subject id is taken, a
/// visitor id is too.
/// </summary>
public sealed class ConsentLedger(
    PrivacyDbContext db,
    CompiledPolicy policy,
    AuditLog audit,
    ReceiptSigner signer,
    EvidenceHasher evidenceHasher,
    TimeProvider time,
    ConsentStateCache cache,
    ResidencyGuard residency,
    MinorTraits minors,
    Policy.Versions.PolicyVersions versions)
{
    /// <summary>
    /// Records that <paramref name="subjectId"/> (a subject's or a visitor's id) granted or withdrew
    /// consent to an optional purpose, with an audit entry in the same transaction, and returns the
    /// signed receipt. Necessary and undeclared purposes are refused and nothing is written. Throws
    /// <see cref="ResidencyViolationException"/>, writing nothing, when its region is not the store's.
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

        var region = await db.Set<Subject>().Where(s => s.Id == subjectId).Select(s => s.Region)
            .Concat(db.Set<Visitor>().Where(v => v.Id == subjectId).Select(v => v.Region))
            .FirstOrDefaultAsync(cancellationToken);
        if (region is null)
        {
            return new ConsentChange(ConsentRefusal.UnknownSubject, null);
        }

        // Before a receipt is signed: a consent record is the subject's data too (S2.3).
        residency.EnsureWritable(region);
        if (await MinorRefusalAsync(subjectId, purpose, granted, method, cancellationToken) is not ConsentRefusal.None and var minorRefusal)
        {
            return new ConsentChange(minorRefusal, null);
        }

        var receipts = await AppendAsync(subjectId, [(purpose, granted)], method, evidence, actor, null, cancellationToken);
        return new ConsentChange(ConsentRefusal.None, receipts[0]);
    }

    /// <summary>
    /// The rules for minors (S8.1) on a grant: a purpose the policy excludes for minors is refused whoever
    /// asks, and any other optional purpose only a verified guardian can grant. Withdrawing is always
    /// taken: it can only narrow what happens to a minor's data.
    /// </summary>
    private async Task<ConsentRefusal> MinorRefusalAsync(Guid subjectId, Purpose purpose, bool granted, ConsentMethod method, CancellationToken cancellationToken)
    {
        if (!granted)
        {
            return ConsentRefusal.None;
        }

        var traits = (await GetStateAsync(subjectId, cancellationToken)).Traits;
        if ((traits & (SubjectTraits.Minor | SubjectTraits.Child)) == 0)
        {
            return ConsentRefusal.None;
        }

        if (policy.Document.Minors.ExcludedPurposes.Contains(purpose.Key, StringComparer.Ordinal))
        {
            return ConsentRefusal.MinorRestricted;
        }

        return method == ConsentMethod.Guardian && (traits & SubjectTraits.GuardianConsent) != 0 ? ConsentRefusal.None : ConsentRefusal.GuardianConsentRequired;
    }

    /// <summary>
    /// Records an anonymous visitor's choice in the consent banner: <paramref name="choices"/> is a
    /// complete choice, so an optional purpose it does not name is refused, and so is every purpose in
    /// <paramref name="refused"/> (the Global Privacy Control signal) whatever it says. A visitor the
    /// store does not know (no id, or an id from an old or forged cookie) is created with a new random
    /// id, and its first choice records every optional purpose; a known visitor's records only what
    /// changed. Everything is written in one transaction with its audit entries, or nothing is: a key
    /// that is undeclared or not optional refuses the whole choice.
    /// </summary>
    public async Task<VisitorChoice> RecordVisitorChoiceAsync(
        Guid? visitorId,
        IReadOnlyDictionary<string, bool> choices,
        ConsentSet refused,
        ConsentEvidence? evidence,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(choices);
        var wanted = ConsentSet.None;
        foreach (var (key, granted) in choices)
        {
            var id = policy.Purpose(key);
            if (id == PurposeId.Undeclared)
            {
                return new VisitorChoice(ConsentRefusal.UndeclaredPurpose, key, Guid.Empty, []);
            }

            if (!policy[id].Optional)
            {
                return new VisitorChoice(ConsentRefusal.NotOptional, key, Guid.Empty, []);
            }

            wanted = granted ? wanted.With(id) : wanted;
        }

        wanted = new ConsentSet(wanted.Bits & ~refused.Bits);
        var known = visitorId is { } given && await db.Set<Visitor>().AnyAsync(v => v.Id == given, cancellationToken);
        Visitor? created = null;
        ConsentSet current;
        if (known)
        {
            current = (await ReadConsentsAsync(visitorId!.Value, cancellationToken)).State.Consents;
        }
        else
        {
            // A fresh random id even when the cookie named one: the client never picks its own record.
            // Version 4 (random), not 7: the cookie should not tell when its visitor first came.
            created = new Visitor { Id = Guid.NewGuid(), Region = residency.Region, CreatedAt = time.GetUtcNow() };
            current = ConsentSet.None;
        }

        var visitor = created?.Id ?? visitorId!.Value;
        var changes = new List<(Purpose Purpose, bool Granted)>();
        foreach (var purpose in policy.Purposes)
        {
            var id = policy.Purpose(purpose.Key);
            if (purpose.Optional && (created is not null || wanted.Contains(id) != current.Contains(id)))
            {
                changes.Add((purpose, wanted.Contains(id)));
            }
        }

        var receipts = changes.Count == 0
            ? []
            : await AppendAsync(visitor, changes, ConsentMethod.Web, evidence, $"visitor:{visitor:N}", created, cancellationToken);
        return new VisitorChoice(ConsentRefusal.None, null, visitor, receipts);
    }

    /// <summary>Whether <paramref name="visitorId"/> is a visitor who has chosen (and so has a consent record).</summary>
    public Task<bool> IsVisitorAsync(Guid visitorId, CancellationToken cancellationToken = default) =>
        db.Set<Visitor>().AnyAsync(v => v.Id == visitorId, cancellationToken);

    /// <summary>
    /// Appends the events with an audit entry each (and the new visitor, if any) in one transaction,
    /// tells every node, and evicts the subject or visitor here.
    /// </summary>
    private async Task<IReadOnlyList<ConsentReceipt>> AppendAsync(
        Guid subjectId,
        List<(Purpose Purpose, bool Granted)> changes,
        ConsentMethod method,
        ConsentEvidence? evidence,
        string actor,
        Visitor? created,
        CancellationToken cancellationToken)
    {
        var at = WholeMicroseconds(time.GetUtcNow());
        var evidenceHash = evidenceHasher.Hash(evidence);
        var receipts = new List<ConsentReceipt>(changes.Count);
        if (created is not null)
        {
            db.Add(created);
        }

        foreach (var (purpose, granted) in changes)
        {
            var receiptId = Guid.CreateVersion7(at);
            var receipt = new ConsentReceipt(receiptId, signer.Sign(ReceiptPayload.Write(policy, purpose, granted, method, subjectId, receiptId, at)));
            receipts.Add(receipt);
            db.Set<ConsentEvent>().Add(new ConsentEvent
            {
                SubjectId = subjectId,
                PurposeKey = purpose.Key,
                Granted = granted,
                PolicyHash = policy.Version.ContentHash,
                Method = method,
                At = at,
                EvidenceHash = evidenceHash,
                ReceiptId = receiptId,
                Receipt = receipt.Jws,
            });
        }

        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            foreach (var (purpose, granted) in changes)
            {
                await audit.AppendAsync(
                    db,
                    new AuditRecord(actor, granted ? "consent.granted" : "consent.withdrawn", subjectId, Purpose: purpose.Key, Detail: ReceiptPayload.MethodName(method)),
                    cancellationToken);
            }

            await db.SaveChangesAsync(cancellationToken);
            if (db.Database.IsNpgsql())
            {
                // Inside the transaction: PostgreSQL delivers it only on commit, when every node can read the change.
                await db.Database.ExecuteSqlAsync($"SELECT pg_notify({ConsentChangeListener.Channel}, {Notification(subjectId)})", cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        cache.Evict(subjectId);
        return receipts;
    }

    /// <summary>The notification payload: the subject's id, then the id of the node that changed it.</summary>
    private string Notification(Guid subjectId) => $"{subjectId:D} {cache.NodeId:D}";

    /// <summary>
    /// The subject or visitor as the purpose gate sees it: the optional purposes whose latest event is
    /// a grant, and the region its data lives in. An unknown id gets an undeclared region, which every
    /// decision denies.
    /// </summary>
    public ValueTask<SubjectState> GetStateAsync(Guid subjectId, CancellationToken cancellationToken = default) =>
        !cache.TryGet(subjectId, out var cached) || !FoldedUnderThisVersion(cached) ? new ValueTask<SubjectState>(LoadStateAsync(subjectId, cancellationToken))
        : cache.Revalidate ? new ValueTask<SubjectState>(RevalidateAsync(subjectId, cached, cancellationToken))
        : ValueTask.FromResult(cached.State);

    /// <summary>
    /// The states of many subjects or visitors at once, read from the store in a few round trips (or one
    /// pass over the ledger for many) instead of one or two per id (a disclosure of a dataset decides for tens of thousands). An unknown id gets
    /// an undeclared region, as in <see cref="GetStateAsync"/>. Bypasses the cache, so it is current.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, SubjectState>> GetStatesAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var wanted = ids as IReadOnlySet<Guid> ?? ids.ToHashSet();
        var regions = new Dictionary<Guid, string>(wanted.Count);
        var consents = new Dictionary<Guid, ConsentSet>(wanted.Count);

        // A few ids are looked up; for many, one pass over the subjects and the ledger is far cheaper than a lookup per chunk.
        var chunks = wanted.Count > StateChunk ? [null] : wanted.Chunk(StateChunk).Select(Guid[]? (c) => c);
        foreach (var chunk in chunks)
        {
            var subjects = db.Set<Subject>().AsNoTracking();
            var visitors = db.Set<Visitor>().AsNoTracking();
            var ledgerEvents = db.Set<ConsentEvent>().AsNoTracking();
            if (chunk is not null)
            {
                subjects = subjects.Where(s => chunk.Contains(s.Id));
                visitors = visitors.Where(v => chunk.Contains(v.Id));
                ledgerEvents = ledgerEvents.Where(e => chunk.Contains(e.SubjectId));
            }

            var homes = subjects.Select(s => new { s.Id, s.Region }).Concat(visitors.Select(v => new { v.Id, v.Region })).AsAsyncEnumerable();
            await foreach (var home in homes.WithCancellation(cancellationToken))
            {
                if (wanted.Contains(home.Id))
                {
                    regions[home.Id] = home.Region;
                }
            }

            var events = ledgerEvents.OrderBy(e => e.Id).Select(e => new { e.SubjectId, e.PurposeKey, e.Granted, e.PolicyHash }).AsAsyncEnumerable();
            await foreach (var e in events.WithCancellation(cancellationToken))
            {
                var purpose = wanted.Contains(e.SubjectId) ? policy.Purpose(e.PurposeKey) : PurposeId.Undeclared;
                if (purpose != PurposeId.Undeclared)
                {
                    var set = consents.GetValueOrDefault(e.SubjectId, ConsentSet.None);
                    consents[e.SubjectId] = GrantHolds(e.Granted, e.PurposeKey, e.PolicyHash) ? set.With(purpose) : set.Without(purpose);
                }
            }
        }

        var states = new Dictionary<Guid, SubjectState>(wanted.Count);
        foreach (var id in wanted)
        {
            states[id] = regions.TryGetValue(id, out var region)
                ? new SubjectState(consents.GetValueOrDefault(id, ConsentSet.None), SubjectTraits.None, policy.Region(region))
                : new SubjectState(ConsentSet.None, SubjectTraits.None, RegionId.Undeclared);
        }

        await ApplyMinorsAsync(states, cancellationToken);
        return states;
    }

    /// <summary>
    /// The subjects registered as minors among <paramref name="states"/> (few) are folded again one by one,
    /// so that their traits and the lapse of a guardian's consents at adulthood are the single-subject path's.
    /// </summary>
    private async Task ApplyMinorsAsync(Dictionary<Guid, SubjectState> states, CancellationToken cancellationToken)
    {
        var standings = await minors.StandingsAsync([.. states.Where(s => s.Value.Region != RegionId.Undeclared).Select(s => s.Key)], cancellationToken);
        foreach (var subjectId in standings.Keys)
        {
            states[subjectId] = (await ReadConsentsAsync(subjectId, cancellationToken)).State;
        }
    }

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
        var loaded = await ReadConsentsAsync(subjectId, cancellationToken);
        if (loaded.State.Region == RegionId.Undeclared || loaded.State.Traits != SubjectTraits.None)
        {
            // Not cached: the subject may register (or the visitor choose) in a moment, and nothing would evict this.
            // Nor a minor's: the traits change with the date and with a guardian's verification, which no event evicts.
            return loaded.State;
        }

        cache.Store(subjectId, loaded, generation);
        return loaded.State;
    }

    /// <summary>The cached state if the store still holds as many of the subject's events as it was built from.</summary>
    private async Task<SubjectState> RevalidateAsync(Guid subjectId, CachedState cached, CancellationToken cancellationToken)
    {
        var events = await db.Set<ConsentEvent>().CountAsync(e => e.SubjectId == subjectId, cancellationToken);
        return events == cached.Events ? cached.State : await LoadStateAsync(subjectId, cancellationToken);
    }

    /// <summary>The state as the store holds it now, bypassing the cache, with the number of events it folds.</summary>
    private async Task<CachedState> ReadConsentsAsync(Guid subjectId, CancellationToken cancellationToken)
    {
        // One id is a subject or a visitor, never both (both are random): one round trip looks in both tables.
        var region = await db.Set<Subject>().AsNoTracking().Where(s => s.Id == subjectId).Select(s => s.Region)
            .Concat(db.Set<Visitor>().AsNoTracking().Where(v => v.Id == subjectId).Select(v => v.Region))
            .FirstOrDefaultAsync(cancellationToken);
        if (region is null)
        {
            return new CachedState(new SubjectState(ConsentSet.None, SubjectTraits.None, RegionId.Undeclared), 0, policy.Version.ContentHash);
        }

        var events = await db.Set<ConsentEvent>().AsNoTracking()
            .Where(e => e.SubjectId == subjectId)
            .OrderBy(e => e.Id)
            .Select(e => new { e.PurposeKey, e.Granted, e.At, e.PolicyHash })
            .ToListAsync(cancellationToken);
        var standing = await minors.StandingAsync(subjectId, cancellationToken);
        var countsFrom = CountsFrom(standing);
        var consents = ConsentSet.None;
        foreach (var e in events)
        {
            if (e.At < countsFrom)
            {
                continue;
            }

            // A purpose a later policy dropped resolves to Undeclared and is skipped: the gate denies it anyway.
            var purpose = policy.Purpose(e.PurposeKey);
            if (purpose != PurposeId.Undeclared)
            {
                consents = GrantHolds(e.Granted, e.PurposeKey, e.PolicyHash) ? consents.With(purpose) : consents.Without(purpose);
            }
        }

        // Minors' traits come from the subject's age (by today's date) and guardian (MinorTraits).
        return new CachedState(new SubjectState(consents, standing?.Traits ?? SubjectTraits.None, policy.Region(region)), events.Count, policy.Version.ContentHash);
    }

    /// <summary>
    /// From when a subject's consent events count. For a former minor, from the adult birthday: what a
    /// guardian granted was consent for a child, not the adult's own choice, so at 18 every optional purpose
    /// starts off again until the adult chooses (S8.1). Everyone else: all events.
    /// </summary>
    private DateTimeOffset CountsFrom(MinorStanding? standing) =>
        standing is { Traits: SubjectTraits.None } adult && time.GetUtcNow() >= adult.AdultFrom ? adult.AdultFrom : DateTimeOffset.MinValue;

    /// <summary>
    /// Whether an event leaves its purpose granted under the version in force (S7.2): a grant given under
    /// a version older than the last material change to that purpose does not cover what is new, so the
    /// purpose is off again until the subject consents under the new version.
    /// </summary>
    private bool GrantHolds(bool granted, string purposeKey, string policyHash) =>
        granted && versions.Covers(policy, purposeKey, policyHash);

    /// <summary>Whether a cached state was folded under the version this ledger decides by: purpose ids are per version.</summary>
    private bool FoldedUnderThisVersion(in CachedState cached) =>
        string.Equals(cached.PolicyHash, policy.Version.ContentHash, StringComparison.Ordinal);

    // Ids per query of GetStatesAsync: well under both providers' limits on parameters.
    private const int StateChunk = 2_000;

    // PostgreSQL keeps timestamps to the microsecond; the receipt and the row must say the same instant.
    private static DateTimeOffset WholeMicroseconds(DateTimeOffset at) =>
        new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);
}
