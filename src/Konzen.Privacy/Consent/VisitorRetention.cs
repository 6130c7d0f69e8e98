using Konzen.Privacy.Policy;
using Konzen.Privacy.Retention;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Consent;

/// <summary>
/// Anonymous visitors' consent records expire with the identifier that keys them (S2.2). A visitor is
/// known only by the first-party cookie id, whose retention the policy gives as the cookie identifiers'
/// category; every choice sets the cookie again, so a visitor whose last choice is older than that
/// can no longer be recognised, and its record would only be kept for nobody. The sweep deletes such
/// visitors with their consent events (which hold a keyed hash of the connection they came from);
/// the audit entries stay, naming nothing but a random id. A subject's consent history is untouched:
/// it lasts until the account is cancelled.
/// </summary>
public sealed class VisitorRetention(PrivacyDbContext db, CompiledPolicy policy, ConsentStateCache cache) : IRetentionTarget
{
    /// <summary>The policy category whose retention a visitor's record follows.</summary>
    public const string Category = "user.device.cookie_id";

    /// <summary>Deleted in chunks, so a large sweep never builds one enormous statement.</summary>
    private const int Chunk = 500;

    public async Task<IReadOnlyList<RetentionCount>> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (Retention() is not { UntilAccountCancellation: false } retention)
        {
            return [new RetentionCount(Category, 0, 0)];
        }

        var cutoff = Cutoff(retention, now);
        var expired = await LastChoices().Where(v => v.At < cutoff).Select(v => v.Id).ToListAsync(cancellationToken);
        foreach (var chunk in expired.Chunk(Chunk))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await db.Set<ConsentEvent>().Where(e => chunk.Contains(e.SubjectId)).ExecuteDeleteAsync(cancellationToken);
            await db.Set<Visitor>().Where(v => chunk.Contains(v.Id)).ExecuteDeleteAsync(cancellationToken);
            if (db.Database.IsNpgsql())
            {
                // Every node forgets the cached states too, as for any consent change (delivered on commit).
                var payloads = chunk.Select(id => $"{id:D} {cache.NodeId:D}").ToArray();
                await db.Database.ExecuteSqlAsync($"SELECT pg_notify({ConsentChangeListener.Channel}, p) FROM unnest({payloads}) AS p", cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            foreach (var id in chunk)
            {
                cache.Evict(id);
            }
        }

        return [new RetentionCount(Category, expired.Count, 0)];
    }

    public async Task<IReadOnlyList<RetentionDue>> DueAsync(CancellationToken cancellationToken)
    {
        var oldest = await LastChoices().OrderBy(v => v.At).Select(v => (DateTimeOffset?)v.At).FirstOrDefaultAsync(cancellationToken);
        return [new RetentionDue(Category, oldest is { } at ? Retention()?.ExpiresAt(at) : null)];
    }

    /// <summary>Each visitor with the time of its last choice (its newest consent event, else its creation).</summary>
    private IQueryable<VisitorChoiceTime> LastChoices() =>
        db.Set<Visitor>().Select(v => new VisitorChoiceTime
        {
            Id = v.Id,
            At = db.Set<ConsentEvent>().Where(e => e.SubjectId == v.Id).Max(e => (DateTimeOffset?)e.At) ?? v.CreatedAt,
        });

    private RetentionPeriod? Retention() =>
        policy.Category(Category) is var id && id != CategoryId.Undeclared ? policy[id].Retention : null;

    /// <summary>The newest last choice that has expired by <paramref name="now"/> (never one that has not).</summary>
    private static DateTimeOffset Cutoff(RetentionPeriod retention, DateTimeOffset now)
    {
        var cutoff = now.AddDays(-retention.Days).AddMonths(-((retention.Years * 12) + retention.Months));
        while (retention.ExpiresAt(cutoff) > now)
        {
            cutoff = cutoff.AddDays(-1);
        }

        return cutoff;
    }

    // Settable members, not a positional record: EF Core can filter and sort on a member-init projection.
    private sealed class VisitorChoiceTime
    {
        public Guid Id { get; init; }

        public DateTimeOffset At { get; init; }
    }
}
