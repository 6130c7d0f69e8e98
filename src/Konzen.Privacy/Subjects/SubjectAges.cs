using System.Globalization;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;

namespace Konzen.Privacy.Subjects;

/// <summary>
/// A subject's age in whole years and whether the rules for minors apply (S8.1), from the birth date
/// kept in the vault. Every read goes through the purpose gate for <see cref="Purpose"/> and is
/// audited by the vault; the value never leaves this class, only the age derived from it.
/// </summary>
public sealed class SubjectAges(PrivacyDbContext db, PersonalDataVault vault, ConsentLedger ledger, CompiledPolicy policy, TimeProvider time)
{
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

    /// <summary>Whole years from <paramref name="birthDate"/> to <paramref name="today"/>; someone born on 29 February turns a year older on 1 March in common years.</summary>
    public static int AgeOn(DateOnly birthDate, DateOnly today)
    {
        var age = today.Year - birthDate.Year;
        return today < Birthday(birthDate, today.Year) ? age - 1 : age;
    }

    private static DateOnly Birthday(DateOnly birthDate, int year) =>
        birthDate is { Month: 2, Day: 29 } && !DateTime.IsLeapYear(year) ? new DateOnly(year, 3, 1) : new DateOnly(year, birthDate.Month, birthDate.Day);
}
