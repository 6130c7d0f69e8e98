using Konzen.Privacy.Policy;
using Konzen.Privacy.Retention;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Collection;

/// <summary>
/// Log events' retention (S2.2): deletes events past their category's retention in the policy, and
/// destroys the pseudonymization keys of periods whose every event has expired, with their
/// pseudonym rows. Until then a period's key must stay: it opens that period's visitor events.
/// </summary>
public sealed class EventRetention(PrivacyDbContext db, KeyStoreDbContext keyStore, CompiledPolicy policy, EpochKeys epochs) : IRetentionTarget
{
    /// <summary>The name the destroyed period keys are counted under.</summary>
    public const string EpochKeysName = "event-pseudonym-keys";

    public async Task<IReadOnlyList<RetentionCount>> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var counts = new List<RetentionCount>();
        foreach (var category in Categories())
        {
            var retention = policy[policy.Category(category)].Retention;
            if (Cutoff(retention, now) is not { } cutoff)
            {
                continue;
            }

            var deleted = await db.Set<LogEvent>().Where(e => e.Category == category && e.At < cutoff).ExecuteDeleteAsync(cancellationToken);
            counts.Add(new RetentionCount(category, deleted, 0));
        }

        var expired = await keyStore.Set<EventEpochKey>().AsNoTracking().Select(k => new { k.Epoch, k.EndsAt }).ToListAsync(cancellationToken);
        var destroy = expired.Where(k => LastExpiry(k.EndsAt) is { } last && last <= now).Select(k => k.Epoch).ToList();
        var destroyed = 0;
        if (destroy.Count > 0)
        {
            destroyed = await keyStore.Set<EventEpochKey>().Where(k => destroy.Contains(k.Epoch)).ExecuteDeleteAsync(cancellationToken);
            epochs.Evict();

            // Pseudonyms of a destroyed period link nothing any more; drop those no event still names
            // (an event sent with a time far behind its arrival may outlive its period's key by minutes).
            await db.Set<EventPseudonym>()
                .Where(p => destroy.Contains(p.Epoch) && !db.Set<LogEvent>().Any(e => e.PseudonymId == p.Id))
                .ExecuteDeleteAsync(cancellationToken);
        }

        counts.Add(new RetentionCount(EpochKeysName, destroyed, 0));
        return counts;
    }

    public async Task<IReadOnlyList<RetentionDue>> DueAsync(CancellationToken cancellationToken)
    {
        var due = new List<RetentionDue>();
        foreach (var category in Categories())
        {
            var oldest = await db.Set<LogEvent>().Where(e => e.Category == category)
                .OrderBy(e => e.At).Select(e => (DateTimeOffset?)e.At).FirstOrDefaultAsync(cancellationToken);
            due.Add(new RetentionDue(category, oldest is { } at ? policy[policy.Category(category)].Retention.ExpiresAt(at) : null));
        }

        var oldestKey = await keyStore.Set<EventEpochKey>().OrderBy(k => k.EndsAt).Select(k => (DateTimeOffset?)k.EndsAt).FirstOrDefaultAsync(cancellationToken);
        due.Add(new RetentionDue(EpochKeysName, oldestKey is { } end ? LastExpiry(end) : null));
        return due;
    }

    /// <summary>
    /// When the last event a period can hold expires: an event arrives before its period ends, dated
    /// at most <see cref="EventIntake.ClockSkew"/> ahead, and lives as long as the longest retention
    /// of any category events are stored under. Null when one of them lasts until cancellation.
    /// </summary>
    private DateTimeOffset? LastExpiry(DateTimeOffset periodEnd)
    {
        DateTimeOffset? last = periodEnd;
        foreach (var category in Categories().Append(EventVocabulary.IpCategory))
        {
            var expires = policy[policy.Category(category)].Retention.ExpiresAt(periodEnd + EventIntake.ClockSkew);
            if (expires is null)
            {
                return null;
            }

            last = expires > last ? expires : last;
        }

        return last;
    }

    /// <summary>
    /// The newest time of collection that has expired by <paramref name="now"/>. Subtracting months
    /// clamps at month ends, so an event may be deleted up to three days after it expired, never before.
    /// </summary>
    private static DateTimeOffset? Cutoff(RetentionPeriod retention, DateTimeOffset now)
    {
        if (retention.UntilAccountCancellation)
        {
            return null;
        }

        var cutoff = now.AddDays(-retention.Days).AddMonths(-((retention.Years * 12) + retention.Months));
        while (retention.ExpiresAt(cutoff) > now)
        {
            cutoff = cutoff.AddDays(-1);
        }

        return cutoff;
    }

    private static IEnumerable<string> Categories() => EventVocabulary.Types.Select(t => t.Value).Distinct(StringComparer.Ordinal);
}
