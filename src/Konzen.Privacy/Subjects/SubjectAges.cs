using System.Globalization;
using System.Security.Cryptography;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Subjects;

/// <summary>
/// A subject's age in whole years and whether the rules for minors apply (S8.1), from the birth date
/// kept in the vault. Every read goes through the purpose gate for <see cref="Purpose"/> and is
/// audited by the vault; the value never leaves this class, only the age derived from it. Many
/// subjects at once (a disclosure, a dataset) are read in one pass and audited per subject in bulk.
/// One instance serves one unit of work (a request): a birth date it has opened and put on record is not
/// opened again while its stored ciphertext is unchanged, so building a dataset and then disclosing that
/// same dataset cost one audited read per subject, not two; any change to the field (a new random nonce
/// every time) makes it read afresh.
/// </summary>
public sealed class SubjectAges(
    PrivacyDbContext db, PersonalDataVault vault, ConsentLedger ledger, SubjectKeys keys, AuditLog audit, CompiledPolicy policy, TimeProvider time)
{
    // Up to this many subjects the birth dates are fetched by id; more, and one scan of them all is cheaper.
    private const int ByIdLimit = 2_000;

    // The birth dates this unit of work has opened, by the exact ciphertext they were opened from.
    private readonly Dictionary<Guid, (byte[] Ciphertext, DateOnly Born)> opened = [];

    /// <summary>The purpose the birth date is read for: providing the service, whose rules for minors need it.</summary>
    public const string Purpose = "essential.service";

    /// <summary>The actor the reads are audited under.</summary>
    public const string Actor = "system:ages";

    /// <summary>The subject's age in whole years today (UTC), or null when no birth date is held or the read was refused.</summary>
    public async Task<int?> AgeAsync(Guid subjectId, CancellationToken cancellationToken = default)
    {
        var state = await ledger.GetStateAsync(subjectId, cancellationToken);
        var read = await vault.ReadAsync(db, state, subjectId, SubjectRegistration.BirthDateField, Purpose, Actor, cancellationToken);
        if (read.Value is null || !DateOnly.TryParseExact(read.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var birthDate))
        {
            return null;
        }

        return AgeOn(birthDate, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));
    }

    /// <summary>
    /// Whether the subject is below the policy's adult age. Fails closed: a subject whose age is not
    /// known (no birth date held, or the read refused) counts as a minor, so no rule meant to protect
    /// minors is skipped for lack of data.
    /// </summary>
    public async Task<bool> IsMinorAsync(Guid subjectId, CancellationToken cancellationToken = default) =>
        await AgeAsync(subjectId, cancellationToken) is not { } age || age < policy.Document.Minors.AdultAge;

    /// <summary>
    /// The ages of <paramref name="subjectIds"/> today (UTC), null where unknown (no birth date held, the
    /// read refused by the purpose gate, the key shredded or the value not the subject's). Every subject's
    /// read is audited under <paramref name="actor"/>, in one transaction, before the ages are returned.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, int?>> AgesAsync(IReadOnlyCollection<Guid> subjectIds, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectIds);
        return await AgesAsync(await ledger.GetStatesAsync(subjectIds, cancellationToken), actor, cancellationToken);
    }

    /// <summary>
    /// <see cref="AgesAsync(IReadOnlyCollection{Guid}, string, CancellationToken)"/> for a caller that has
    /// just read the subjects' states (<see cref="ConsentLedger.GetStatesAsync"/>); the keys are its keys.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, int?>> AgesAsync(IReadOnlyDictionary<Guid, SubjectState> states, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var (ages, unread) = await AlreadyOpenedAsync(states, cancellationToken);
        if (unread.Count == 0)
        {
            return ages;
        }

        var dataKeys = await keys.FindManyAsync([.. unread.Keys], cancellationToken);
        var reads = new List<AuditRecord>(unread.Count);
        foreach (var (subjectId, age) in await ReadAsync(unread, dataKeys, actor, "age for the rules for minors", reads, cancellationToken))
        {
            ages[subjectId] = age;
        }

        var owned = db.Database.CurrentTransaction is null;
        await using var transaction = owned ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        await audit.AppendRangeAsync(db, reads, cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }

        return ages;
    }

    /// <summary>
    /// The batch read itself, for callers that already hold the subjects' states and data keys (a dataset
    /// of tens of thousands unwraps them in one scan) and put the reads on record themselves: one audit
    /// record per subject goes to <paramref name="reads"/>, and the caller must store them before any
    /// value derived from an age leaves the system.
    /// </summary>
    internal async Task<Dictionary<Guid, int?>> ReadAsync(
        IReadOnlyDictionary<Guid, SubjectState> states, IReadOnlyDictionary<Guid, byte[]> dataKeys, string actor, string why, List<AuditRecord> reads,
        CancellationToken cancellationToken)
    {
        var ages = new Dictionary<Guid, int?>(states.Count);
        var category = policy.Category(SubjectRegistration.BirthDateField);
        var purpose = policy.Purpose(Purpose);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var outcomes = new Dictionary<Guid, string>(states.Count);
        var reasons = new Dictionary<Guid, string>(states.Count);
        foreach (var (subjectId, state) in states)
        {
            ages[subjectId] = null;
            var decision = policy.Decide(in state, category, purpose);
            reasons[subjectId] = $"{(decision.Allowed ? "allowed" : "denied")}: {decision.Reason} ({decision.Clause}, policy {decision.PolicyVersion})";
            if (decision.Allowed)
            {
                outcomes[subjectId] = "no value stored";
            }
        }

        await foreach (var (subjectId, ciphertext) in BirthDatesAsync(outcomes.Keys, cancellationToken))
        {
            if (!outcomes.ContainsKey(subjectId))
            {
                continue;
            }

            if (!dataKeys.TryGetValue(subjectId, out var key))
            {
                outcomes[subjectId] = "not read: key shredded";
                continue;
            }

            try
            {
                var value = FieldCipher.Decrypt(key, subjectId, SubjectRegistration.BirthDateField, ciphertext);
                outcomes[subjectId] = string.Empty;
                if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var born))
                {
                    ages[subjectId] = AgeOn(born, today);
                    opened[subjectId] = (ciphertext, born);
                }
            }
            catch (Exception e) when (e is VaultIntegrityException or CryptographicException)
            {
                // Unknown age, which every caller treats as a minor's: fail closed rather than stop the batch.
                outcomes[subjectId] = "not read: integrity check failed";
            }
        }

        foreach (var subjectId in states.Keys)
        {
            var detail = outcomes.TryGetValue(subjectId, out var outcome) && outcome.Length > 0 ? $"{reasons[subjectId]}; {outcome}" : reasons[subjectId];
            reads.Add(new AuditRecord(actor, "field.read", subjectId, SubjectRegistration.BirthDateField, Purpose, $"{detail}; {why}"));
        }

        return ages;
    }

    // The ages of the subjects whose birth date this unit of work has opened and whose stored ciphertext is
    // still the one it opened, where the gate still allows the read; the others, with their states, to be read.
    private async Task<(Dictionary<Guid, int?> Ages, Dictionary<Guid, SubjectState> Unread)> AlreadyOpenedAsync(
        IReadOnlyDictionary<Guid, SubjectState> states, CancellationToken cancellationToken)
    {
        var ages = new Dictionary<Guid, int?>(states.Count);
        var unread = new Dictionary<Guid, SubjectState>(states);
        if (opened.Count == 0)
        {
            return (ages, unread);
        }

        var category = policy.Category(SubjectRegistration.BirthDateField);
        var purpose = policy.Purpose(Purpose);
        var candidates = states.Where(s => opened.ContainsKey(s.Key) && policy.Decide(s.Value, category, purpose).Allowed).Select(s => s.Key).ToHashSet();
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        await foreach (var (subjectId, ciphertext) in BirthDatesAsync(candidates, cancellationToken))
        {
            if (candidates.Contains(subjectId) && opened.TryGetValue(subjectId, out var known) && ciphertext.AsSpan().SequenceEqual(known.Ciphertext))
            {
                ages[subjectId] = AgeOn(known.Born, today);
                unread.Remove(subjectId);
            }
        }

        return (ages, unread);
    }

    // The stored birth dates of the subjects: by id for a few, from one scan for many.
    private async IAsyncEnumerable<(Guid SubjectId, byte[] Ciphertext)> BirthDatesAsync(
        IReadOnlyCollection<Guid> subjectIds, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var fields = db.PersonalFields.AsNoTracking().Where(f => f.Field == SubjectRegistration.BirthDateField);
        if (subjectIds.Count > ByIdLimit)
        {
            await foreach (var row in fields.Select(f => new { f.SubjectId, f.Ciphertext }).AsAsyncEnumerable().WithCancellation(cancellationToken))
            {
                yield return (row.SubjectId, row.Ciphertext);
            }

            yield break;
        }

        foreach (var chunk in subjectIds.Chunk(500))
        {
            var rows = await fields.Where(f => chunk.Contains(f.SubjectId)).Select(f => new { f.SubjectId, f.Ciphertext }).ToListAsync(cancellationToken);
            foreach (var row in rows)
            {
                yield return (row.SubjectId, row.Ciphertext);
            }
        }
    }

    /// <summary>Whole years from <paramref name="birthDate"/> to <paramref name="today"/>; someone born on 29 February turns a year older on 1 March in common years.</summary>
    public static int AgeOn(DateOnly birthDate, DateOnly today)
    {
        var age = today.Year - birthDate.Year;
        return today < Birthday(birthDate, today.Year) ? age - 1 : age;
    }

    /// <summary>The day in <paramref name="year"/> on which someone born on <paramref name="birthDate"/> turns a year older.</summary>
    internal static DateOnly Birthday(DateOnly birthDate, int year) =>
        birthDate is { Month: 2, Day: 29 } && !DateTime.IsLeapYear(year) ? new DateOnly(year, 3, 1) : new DateOnly(year, birthDate.Month, birthDate.Day);
}
