using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;

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
/// Appends entries to the hash-chained audit log. The entry is added to the caller's context and
/// saved by the caller's SaveChanges, so it commits or rolls back with the change it records.
/// </summary>
public sealed class AuditLog(TimeProvider time)
{
    public async Task<AuditEntry> AppendAsync(PrivacyDbContext db, AuditRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(record);
        var previous = db.AuditEntries.Local.MaxBy(e => e.Sequence)
            ?? await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Sequence).FirstOrDefaultAsync(cancellationToken);
        var entry = new AuditEntry
        {
            Sequence = (previous?.Sequence ?? 0) + 1,
            At = WholeMicroseconds(time.GetUtcNow()),
            Actor = record.Actor,
            Action = record.Action,
            SubjectId = record.SubjectId,
            Field = record.Field,
            Purpose = record.Purpose,
            Detail = record.Detail,
            PreviousHash = previous?.Hash ?? new byte[32],
        };
        entry.Hash = AuditChain.HashOf(entry);
        db.AuditEntries.Add(entry);
        return entry;
    }

    // PostgreSQL keeps timestamps to the microsecond; hashing finer ticks would break the chain on reload.
    private static DateTimeOffset WholeMicroseconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);
}
