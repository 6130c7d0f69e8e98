using System.Globalization;
using System.Security.Cryptography;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Subjects;

/// <summary>
/// Where a subject registered as a minor stands today: the gate's traits, and the instant from which the
/// subject's own choices count (the adult birthday; a guardian's consents recorded before it lapse).
/// </summary>
internal readonly record struct MinorStanding(SubjectTraits Traits, DateTimeOffset AdultFrom);

/// <summary>
/// The traits of the rules for minors (S8.1), derived at every state load from the birth date in the vault
/// and today's date by the injected clock, so they change on the 14th and 18th birthday without any job.
/// Only subjects with a <see cref="MinorAccount"/> (under 18 at registration) are looked at: an adult's
/// state costs no extra read. The birth date is opened here directly, not through the vault's gated read,
/// because the gate needs these traits to decide: reading it for the rules for minors is the service's own
/// necessary use (essential.service), it never leaves this class, and only the traits come out.
/// </summary>
public sealed class MinorTraits(PrivacyDbContext db, SubjectKeys keys, CompiledPolicy policy, TimeProvider time)
{
    private const int ByIdLimit = 2_000;

    /// <summary>The standing of a subject registered as a minor; null for everyone else (adults at registration, visitors).</summary>
    internal async Task<MinorStanding?> StandingAsync(Guid subjectId, CancellationToken cancellationToken)
    {
        var accounts = await StandingsAsync([subjectId], cancellationToken);
        return accounts.TryGetValue(subjectId, out var standing) ? standing : null;
    }

    /// <summary>The standings of those of <paramref name="subjectIds"/> registered as minors; others are absent.</summary>
    internal async Task<Dictionary<Guid, MinorStanding>> StandingsAsync(IReadOnlyCollection<Guid> subjectIds, CancellationToken cancellationToken)
    {
        var standings = new Dictionary<Guid, MinorStanding>();
        var accounts = new Dictionary<Guid, bool>();
        var minorAccounts = db.Set<MinorAccount>().AsNoTracking();

        // A few ids are looked up; for many (a dataset), one read of every minor's account (a small table) is cheaper.
        var everyone = subjectIds.Count > ByIdLimit;
        var wanted = everyone ? subjectIds as IReadOnlySet<Guid> ?? subjectIds.ToHashSet() : null;
        foreach (var chunk in everyone ? [[]] : subjectIds.Chunk(500))
        {
            var rows = await (everyone ? minorAccounts : minorAccounts.Where(a => chunk.Contains(a.SubjectId)))
                .Select(a => new { a.SubjectId, a.GuardianVerifiedAt }).ToListAsync(cancellationToken);
            foreach (var row in rows.Where(r => wanted?.Contains(r.SubjectId) ?? true))
            {
                accounts[row.SubjectId] = row.GuardianVerifiedAt is not null;
            }
        }

        if (accounts.Count == 0)
        {
            return standings;
        }

        var ids = accounts.Keys.ToList();
        var dataKeys = await keys.FindManyAsync(ids, cancellationToken);
        var births = await db.PersonalFields.AsNoTracking()
            .Where(f => f.Field == SubjectRegistration.BirthDateField && ids.Contains(f.SubjectId))
            .Select(f => new { f.SubjectId, f.Ciphertext })
            .ToListAsync(cancellationToken);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        foreach (var (subjectId, guardianVerified) in accounts)
        {
            var sealedValue = births.Find(b => b.SubjectId == subjectId)?.Ciphertext;
            var born = sealedValue is not null && dataKeys.TryGetValue(subjectId, out var key) ? Open(key, subjectId, sealedValue) : null;
            standings[subjectId] = Standing(born, today, guardianVerified);
        }

        return standings;
    }

    /// <summary>
    /// The standing on <paramref name="today"/>. Fails closed: a minor's account whose birth date cannot be
    /// read (key shredded, value altered) is treated as a child's for ever, never as an adult's.
    /// </summary>
    internal MinorStanding Standing(DateOnly? born, DateOnly today, bool guardianVerified)
    {
        var minors = policy.Document.Minors;
        if (born is not { } birthDate)
        {
            return new MinorStanding(SubjectTraits.Minor | SubjectTraits.Child | (guardianVerified ? SubjectTraits.GuardianConsent : 0), DateTimeOffset.MaxValue);
        }

        var age = SubjectAges.AgeOn(birthDate, today);
        var adultFrom = new DateTimeOffset(SubjectAges.Birthday(birthDate, birthDate.Year + minors.AdultAge).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var traits = SubjectTraits.None;
        if (age < minors.AdultAge)
        {
            traits |= SubjectTraits.Minor;
            if (age < minors.ChildAge)
            {
                traits |= SubjectTraits.Child;
            }

            if (guardianVerified)
            {
                traits |= SubjectTraits.GuardianConsent;
            }
        }

        return new MinorStanding(traits, adultFrom);
    }

    private static DateOnly? Open(byte[] key, Guid subjectId, byte[] sealedValue)
    {
        try
        {
            var value = FieldCipher.Decrypt(key, subjectId, SubjectRegistration.BirthDateField, sealedValue);
            return DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var born) ? born : null;
        }
        catch (Exception e) when (e is VaultIntegrityException or CryptographicException)
        {
            return null;
        }
    }
}
