using System.Globalization;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Konzen.Privacy.Retention;

/// <summary>What one sweep did. <see cref="SweepId"/> is null when it was skipped (and so not recorded).</summary>
public sealed record RetentionSweepResult(
    Guid? SweepId,
    RetentionSweepOutcome Outcome,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    string Node,
    IReadOnlyList<RetentionCount> Counts);

/// <summary>
/// When a category's oldest row expires, with the retention the policy gives the category (null for
/// working data the policy does not list). <see cref="Swept"/> is false for a policy category no
/// registered target holds: no feature of this deployment stores it, or none sweeps it yet.
/// </summary>
public sealed record RetentionCategoryDue(string Category, RetentionPeriod? Retention, DateTimeOffset? NextExpiry, bool Swept = true);

/// <summary>
/// One retention sweep (S2.2): every registered <see cref="IRetentionTarget"/> removes what is past its
/// retention now, and the sweep records per category what was removed, with an audit entry, all in one
/// transaction: the deletions and their evidence commit together or not at all. The background
/// <see cref="RetentionSweeper"/>, <c>konzen retention run</c> and the admin endpoint all call this.
/// </summary>
/// <remarks>
/// Targets run inside the sweep's transaction on the same <see cref="PrivacyDbContext"/>: they delete
/// with <c>ExecuteDeleteAsync</c> (or SaveChanges) and must not begin a transaction of their own.
/// On PostgreSQL the sweep first takes a transaction-scoped advisory lock without waiting; a node that
/// does not get it skips, because another node is sweeping the same store at that moment. On SQLite
/// the transaction's write lock already lets one sweeper run at a time.
/// </remarks>
public sealed partial class RetentionSweep(
    PrivacyDbContext db,
    IEnumerable<IRetentionTarget> targets,
    CompiledPolicy policy,
    AuditLog audit,
    TimeProvider time,
    ILogger<RetentionSweep> logger)
{
    /// <summary>The actor of the background sweep.</summary>
    public const string SystemActor = "system";

    /// <summary>The advisory lock key, 0x6B6F6E7A656E0002: "konzen" and 2 (the audit chain's is 1).</summary>
    internal const long LockKey = 0x6B6F6E7A656E0002;

    /// <summary>The name this node records its sweeps under.</summary>
    public static string Node { get; } = Environment.MachineName;

    /// <summary>
    /// Runs every target at the current time and records what they removed. Returns
    /// <see cref="RetentionSweepOutcome.Skipped"/> when another node holds the sweep. When a target or
    /// the store fails, nothing is removed, a failed sweep is recorded (when the store allows it) and
    /// the exception is thrown on.
    /// </summary>
    public async Task<RetentionSweepResult> RunAsync(string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var started = WholeMilliseconds(time.GetUtcNow());
        var id = Guid.CreateVersion7(started);
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (db.Database.IsNpgsql() && !await TryLockAsync(cancellationToken))
            {
                LogSkipped(logger);
                return new RetentionSweepResult(null, RetentionSweepOutcome.Skipped, started, WholeMilliseconds(time.GetUtcNow()), Node, []);
            }

            var counts = await SweepTargetsAsync(started, cancellationToken);
            var finished = WholeMilliseconds(time.GetUtcNow());
            db.Set<RetentionSweepRecord>().Add(new RetentionSweepRecord
            {
                Id = id,
                StartedAt = started,
                FinishedAt = finished,
                Node = Node,
                Actor = actor,
                Outcome = RetentionSweepOutcome.Completed,
                Counts = [.. counts.Select(c => new RetentionSweepCount { SweepId = id, Category = c.Category, Deleted = c.Deleted, Anonymized = c.Anonymized })],
            });
            await audit.AppendAsync(db, new AuditRecord(actor, "retention.swept", Detail: Describe(id, counts)), cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            var deleted = counts.Sum(c => c.Deleted);
            var anonymized = counts.Sum(c => c.Anonymized);
            LogSwept(logger, id, deleted, anonymized);
            return new RetentionSweepResult(id, RetentionSweepOutcome.Completed, started, finished, Node, counts);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The transaction is rolled back by now: record the failure on its own, so the admin view
            // shows that expiry did not run, then let the caller see the error.
            db.ChangeTracker.Clear();
            await RecordFailureAsync(id, started, actor, e.GetType().Name, cancellationToken);
            throw;
        }
    }

    /// <summary>The newest sweeps first, with their counts.</summary>
    public async Task<IReadOnlyList<RetentionSweepRecord>> LastSweepsAsync(int count, CancellationToken cancellationToken = default) =>
        await db.Set<RetentionSweepRecord>().AsNoTracking()
            .Include(s => s.Counts)
            .OrderByDescending(s => s.StartedAt).ThenByDescending(s => s.Id)
            .Take(count)
            .ToListAsync(cancellationToken);

    /// <summary>
    /// For every category a target holds, the retention the policy gives it and when its oldest row
    /// expires, soonest first; then every other policy category with its retention, in policy order.
    /// </summary>
    public async Task<IReadOnlyList<RetentionCategoryDue>> DueAsync(CancellationToken cancellationToken = default)
    {
        var due = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            foreach (var item in await target.DueAsync(cancellationToken))
            {
                due[item.Category] = due.TryGetValue(item.Category, out var known) ? Earlier(known, item.NextExpiry) : item.NextExpiry;
            }
        }

        return [.. due
            .Select(d => new RetentionCategoryDue(d.Key, RetentionOf(d.Key), d.Value))
            .OrderBy(d => d.NextExpiry ?? DateTimeOffset.MaxValue)
            .ThenBy(d => d.Category, StringComparer.Ordinal),
            .. policy.Categories
                .Where(c => !due.ContainsKey(c.Key))
                .Select(c => new RetentionCategoryDue(c.Key, c.Retention, null, Swept: false))];
    }

    private async Task<bool> TryLockAsync(CancellationToken cancellationToken)
    {
        var granted = await db.Database
            .SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({LockKey}) AS \"Value\"")
            .ToListAsync(cancellationToken);
        return granted[0];
    }

    // Two targets may report the same category (say, two tables of one kind of data): one count each.
    private async Task<List<RetentionCount>> SweepTargetsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var counts = new List<RetentionCount>();
        foreach (var target in targets)
        {
            foreach (var count in await target.SweepAsync(now, cancellationToken))
            {
                var index = counts.FindIndex(c => c.Category == count.Category);
                if (index < 0)
                {
                    counts.Add(count);
                }
                else
                {
                    counts[index] = counts[index] with { Deleted = counts[index].Deleted + count.Deleted, Anonymized = counts[index].Anonymized + count.Anonymized };
                }
            }
        }

        return counts;
    }

    private async Task RecordFailureAsync(Guid id, DateTimeOffset started, string actor, string error, CancellationToken cancellationToken)
    {
        try
        {
            db.Set<RetentionSweepRecord>().Add(new RetentionSweepRecord
            {
                Id = id,
                StartedAt = started,
                FinishedAt = WholeMilliseconds(time.GetUtcNow()),
                Node = Node,
                Actor = actor,
                Outcome = RetentionSweepOutcome.Failed,
                Error = error,
            });
            await audit.SaveChangesAsync(db, new AuditRecord(actor, "retention.sweep-failed", Detail: $"sweep {id}: {error}"), cancellationToken);
        }
#pragma warning disable CA1031 // The sweep's own error is the one the caller must see; this one is only logged.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogNotRecorded(logger, id, e.GetType().Name);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    private RetentionPeriod? RetentionOf(string category)
    {
        var id = policy.Category(category);
        return id == CategoryId.Undeclared ? null : policy[id].Retention;
    }

    private static DateTimeOffset? Earlier(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a < b ? a : b;

    private static string Describe(Guid id, List<RetentionCount> counts) =>
        $"sweep {id}: " + (counts.Count == 0
            ? "no targets"
            : string.Join("; ", counts.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Category} deleted {c.Deleted}, anonymized {c.Anonymized}"))));

    // Both stores keep whole milliseconds exactly, so a record reads back as it was written.
    private static DateTimeOffset WholeMilliseconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention sweep skipped: another node holds the sweep lock")]
    private static partial void LogSkipped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention sweep {SweepId} deleted {Deleted} and anonymized {Anonymized} rows")]
    private static partial void LogSwept(ILogger logger, Guid sweepId, int deleted, int anonymized);

    [LoggerMessage(Level = LogLevel.Error, Message = "Retention sweep {SweepId} failed and its failure could not be recorded ({ErrorType})")]
    private static partial void LogNotRecorded(ILogger logger, Guid sweepId, string errorType);
}
