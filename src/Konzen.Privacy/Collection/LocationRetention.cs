using Konzen.Privacy.Policy;
using Konzen.Privacy.Retention;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Collection;

/// <summary>
/// Deletes location points once the policy's retention for precise location has passed since the fix
/// was taken (<see cref="LocationPoint.RecordedAt"/>, the time intake checks retention against too).
/// Positioning states are not swept: each is one row per subject saying whether positioning is on now,
/// needed as long as the account exists, and removing an "off" would turn collection back on.
/// </summary>
internal sealed class LocationRetention(PrivacyDbContext db, CompiledPolicy policy) : IRetentionTarget
{
    private RetentionPeriod Retention => policy[policy.Category(LocationIntake.PreciseCategory)].Retention;

    public async Task<IReadOnlyList<RetentionCount>> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var deleted = RetentionCutoff.Of(Retention, now) is { } cutoff
            ? await db.Set<LocationPoint>().Where(p => p.RecordedAt <= cutoff).ExecuteDeleteAsync(cancellationToken)
            : 0;
        return [new RetentionCount(LocationIntake.PreciseCategory, deleted, 0)];
    }

    public async Task<IReadOnlyList<RetentionDue>> DueAsync(CancellationToken cancellationToken)
    {
        var oldest = await db.Set<LocationPoint>()
            .OrderBy(p => p.RecordedAt)
            .Select(p => (DateTimeOffset?)p.RecordedAt)
            .FirstOrDefaultAsync(cancellationToken);
        return [new RetentionDue(LocationIntake.PreciseCategory, oldest is { } recorded ? Retention.ExpiresAt(recorded) : null)];
    }
}
