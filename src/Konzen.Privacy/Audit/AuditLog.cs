using System.Data;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Konzen.Privacy.Audit;

/// <summary>What happened, as the caller describes it; the log adds time, place in the chain and hashes.</summary>
public sealed record AuditRecord(
    string Actor,
    string Action,
    Guid? SubjectId = null,
    string? Field = null,
    string? Purpose = null,
    string? Detail = null);

/// <summary>
/// Appends entries to the hash-chained audit log, inside the caller's transaction, so that an entry
/// commits or rolls back with the change it records:
/// <code>
/// await using var transaction = await db.Database.BeginTransactionAsync(ct);
/// db.Add(change);
/// await audit.AppendAsync(db, new AuditRecord("staff:ana", "field.read", subjectId, "user.contact.email", "support"), ct);
/// await db.SaveChangesAsync(ct);
/// await transaction.CommitAsync(ct);
/// </code>
/// </summary>
/// <remarks>
/// The chain is one line: each entry names the hash of the one before, so two writers must never
/// both build on the same head. Appending therefore holds the chain for the rest of the caller's
/// transaction: on PostgreSQL with a transaction-scoped advisory lock taken before the head is
/// read, on SQLite with the write lock that <c>BeginTransaction</c> takes at once (Microsoft.Data.Sqlite
/// begins <c>IMMEDIATE</c> transactions unless asked for deferred ones). A second writer waits until
/// the first commits or rolls back, then reads the new head. Waiting was chosen over retrying on a
/// sequence conflict because it needs nothing from callers (no re-runnable unit of work) and wastes
/// no work under contention; every chained log serialises its appends either way. The primary key on
/// <see cref="AuditEntry.Sequence"/> stays as the backstop: a writer that somehow read a stale head
/// fails on the key instead of forking the chain. Append last, just before SaveChanges, to hold the
/// chain briefly, and keep the default isolation level (read committed on PostgreSQL): the head must
/// be read after the lock is granted, not from an older snapshot.
/// </remarks>
public sealed class AuditLog(TimeProvider time)
{
    /// <summary>
    /// Takes the PostgreSQL advisory lock that serialises appends until the transaction ends (taken
    /// again by the same transaction, it stacks). The key, 0x6B6F6E7A656E0001, is "konzen" and 1.
    /// </summary>
    internal const string ChainLockSql = "SELECT pg_advisory_xact_lock(7741527756439945217)";

    /// <summary>
    /// Saves <paramref name="db"/>'s pending changes together with the entry that records them, in one
    /// transaction: the caller's when one is open (the caller still commits it), otherwise one of its
    /// own, committed here. The usual way to make an audited change.
    /// </summary>
    public async Task<AuditEntry> SaveChangesAsync(PrivacyDbContext db, AuditRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (db.Database.CurrentTransaction is not null)
        {
            var entry = await AppendAsync(db, record, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            return entry;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var appended = await AppendAsync(db, record, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return appended;
    }

    /// <summary>
    /// Adds the entry that records <paramref name="record"/> to <paramref name="db"/>, chained after
    /// the head of the log (or after the entries this context is about to save). The caller's
    /// SaveChanges writes it and the caller's commit makes it permanent.
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="db"/> has no transaction open.</exception>
    /// <exception cref="ArgumentException">The record is missing its actor or action, a value is longer than its column, or text is not valid Unicode.</exception>
    public async Task<AuditEntry> AppendAsync(PrivacyDbContext db, AuditRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(record);
        Check(record);
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException(
                "An audit entry must be appended inside the transaction of the change it records: begin one with " +
                "Database.BeginTransactionAsync before appending, and commit it after SaveChanges.");
        }

        var head = PendingHead(db) ?? await StoredHeadAsync(db, cancellationToken);
        var entry = Chained(record, (head?.Sequence ?? 0) + 1, head?.Hash ?? new byte[AuditChain.HashSize], WholeMilliseconds(time.GetUtcNow()));
        db.Set<AuditEntry>().Add(entry);
        return entry;
    }

    /// <summary>
    /// Writes one chained entry per record, in order, inside the caller's open transaction (committed
    /// or rolled back with it): for a batch of thousands of records, one per subject a dataset reads.
    /// The head is read once, and the rows go in multi-row INSERTs shaped by the model's own mapping
    /// instead of through the change tracker, which costs about 70 µs an entry at that size: 40,000
    /// entries would be seconds. Same rules as <see cref="AppendAsync"/>; nothing is left pending.
    /// </summary>
    public async Task AppendRangeAsync(PrivacyDbContext db, IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(records);
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("Audit entries must be appended inside the transaction of the change they record.");
        }

        foreach (var record in records)
        {
            ArgumentNullException.ThrowIfNull(record);
            Check(record);
        }

        var head = PendingHead(db) ?? await StoredHeadAsync(db, cancellationToken);
        var sequence = head?.Sequence ?? 0;
        var previous = head?.Hash ?? new byte[AuditChain.HashSize];
        var at = WholeMilliseconds(time.GetUtcNow());
        var entries = new List<AuditEntry>(records.Count);
        foreach (var record in records)
        {
            var entry = Chained(record, ++sequence, previous, at);
            previous = entry.Hash;
            entries.Add(entry);
        }

        await BulkInsert.InsertAsync(db, entries, cancellationToken);
    }

    private static AuditEntry Chained(AuditRecord record, long sequence, byte[] previousHash, DateTimeOffset at)
    {
        var entry = new AuditEntry
        {
            Sequence = sequence,
            At = at,
            Actor = record.Actor,
            Action = record.Action,
            SubjectId = record.SubjectId,
            Field = record.Field,
            Purpose = record.Purpose,
            Detail = record.Detail,
            PreviousHash = previousHash,
        };
        entry.Hash = AuditChain.HashOf(entry);
        return entry;
    }

    // Entries appended to this context and not yet saved extend the chain first: several appends
    // before one SaveChanges chain one after another. Saved ones are not trusted as the head, since
    // another writer may have appended after them.
    private static Head? PendingHead(PrivacyDbContext db) =>
        db.ChangeTracker.Entries<AuditEntry>()
            .Where(e => e.State == EntityState.Added)
            .Select(e => new Head(e.Entity.Sequence, e.Entity.Hash))
            .MaxBy(h => h.Sequence);

    private static async Task<Head?> StoredHeadAsync(PrivacyDbContext db, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
        {
            // Under repeatable read or serializable the head would be read from a snapshot taken
            // before the lock was granted: stale under contention, so every racing append would fail.
            if (db.Database.CurrentTransaction!.GetDbTransaction().IsolationLevel
                is IsolationLevel.RepeatableRead or IsolationLevel.Serializable or IsolationLevel.Snapshot)
            {
                throw new InvalidOperationException(
                    "Audit entries are appended in read-committed transactions: the chain's head must be read after its lock is granted.");
            }

            await db.Database.ExecuteSqlRawAsync(ChainLockSql, cancellationToken);
        }

        return await db.Set<AuditEntry>().AsNoTracking()
            .OrderByDescending(e => e.Sequence)
            .Select(e => new Head(e.Sequence, e.Hash))
            .FirstOrDefaultAsync(cancellationToken);
    }

    // The columns' lengths are checked here because SQLite does not enforce them: a value PostgreSQL
    // would refuse must be refused on both stores. Messages name the field, never its value.
    private static void Check(AuditRecord record)
    {
        Require(record.Actor, nameof(record.Actor), AuditEntryConfiguration.ActorLength, required: true);
        Require(record.Action, nameof(record.Action), AuditEntryConfiguration.ActionLength, required: true);
        Require(record.Field, nameof(record.Field), AuditEntryConfiguration.KeyLength, required: false);
        Require(record.Purpose, nameof(record.Purpose), AuditEntryConfiguration.KeyLength, required: false);
    }

    private static void Require(string? value, string name, int maxLength, bool required)
    {
        if (required && string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"An audit record needs a {name}.", name);
        }

        if (value is not null && value.Length > maxLength)
        {
            throw new ArgumentException($"An audit record's {name} is longer than {maxLength} characters.", name);
        }
    }

    // SQLite keeps timestamps to 0.1 ms and PostgreSQL to 1 µs: a whole millisecond survives both
    // exactly, so the hash computed now still matches the entry read back.
    private static DateTimeOffset WholeMilliseconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    private sealed record Head(long Sequence, byte[] Hash);
}
