using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Audit;

/// <summary>The outcome of checking the audit chain.</summary>
/// <param name="Intact">Every entry is in place, links to the one before and matches its hash.</param>
/// <param name="EntriesChecked">How many entries were found sound (all of them when intact; those before the break otherwise).</param>
/// <param name="FirstBrokenSequence">The first entry that is missing, out of place, unlinked or altered; null when intact.</param>
/// <param name="Problem">What is wrong with that entry; null when intact.</param>
public sealed record AuditVerification(bool Intact, long EntriesChecked, long? FirstBrokenSequence, string? Problem)
{
    internal static AuditVerification Sound(long entries) => new(true, entries, null, null);

    internal static AuditVerification Broken(long entriesChecked, long sequence, string problem) => new(false, entriesChecked, sequence, problem);
}

/// <summary>
/// Checks the hash chain: sequences contiguous from 1, each entry linking to its predecessor's
/// hash (entry 1 to 32 zero bytes), and each hash matching the entry's canonical form
/// (<see cref="AuditChain"/>). Stops at, and names, the first entry that fails.
/// </summary>
/// <remarks>
/// The chain proves that no entry inside it was changed, removed or inserted. Removing entries from
/// the end leaves a shorter chain that is still sound; catching that needs the head's hash kept
/// somewhere else (a checkpoint).
/// </remarks>
public static class AuditVerifier
{
    /// <summary>Streams the store's entries in sequence order and checks them; memory stays flat however long the log.</summary>
    public static Task<AuditVerification> VerifyAsync(PrivacyDbContext db, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var entries = db.Set<AuditEntry>().AsNoTracking().OrderBy(e => e.Sequence).AsAsyncEnumerable();
        return VerifyAsync(entries, cancellationToken);
    }

    /// <summary>Checks entries given in sequence order, from the store or from an export.</summary>
    public static async Task<AuditVerification> VerifyAsync(IAsyncEnumerable<AuditEntry> entriesInSequenceOrder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entriesInSequenceOrder);
        var expected = 1L;
        byte[] previousHash = new byte[AuditChain.HashSize];
        var hash = new byte[AuditChain.HashSize];
        await foreach (var entry in entriesInSequenceOrder.WithCancellation(cancellationToken))
        {
            if (Check(entry, expected, previousHash, hash) is { } broken)
            {
                return broken;
            }

            previousHash = entry.Hash;
            expected++;
        }

        return AuditVerification.Sound(expected - 1);
    }

    private static AuditVerification? Check(AuditEntry entry, long expected, byte[] previousHash, byte[] hash)
    {
        if (entry.Sequence > expected)
        {
            return AuditVerification.Broken(expected - 1, expected, $"entry {expected} is missing (the next entry is {entry.Sequence})");
        }

        if (entry.Sequence < expected)
        {
            return AuditVerification.Broken(expected - 1, entry.Sequence, $"entry {entry.Sequence} is out of place (sequences start at 1 and rise by 1)");
        }

        if (!previousHash.AsSpan().SequenceEqual(entry.PreviousHash))
        {
            return AuditVerification.Broken(expected - 1, expected, expected == 1
                ? "broken link: entry 1's previous hash is not 32 zero bytes"
                : $"broken link: its previous hash is not the hash of entry {expected - 1}");
        }

        try
        {
            AuditChain.ComputeHash(entry, hash);
        }
        catch (ArgumentException)
        {
            return AuditVerification.Broken(expected - 1, expected, "hash mismatch: a text field is not valid Unicode");
        }

        return hash.AsSpan().SequenceEqual(entry.Hash)
            ? null
            : AuditVerification.Broken(expected - 1, expected, "hash mismatch: its contents do not match its stored hash");
    }
}
