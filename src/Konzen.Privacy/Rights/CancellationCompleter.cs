using Konzen.Privacy.Retention;

namespace Konzen.Privacy.Rights;

/// <summary>
/// Completes the cancellations whose cooling-off period is over, as part of the retention sweep: the
/// sweep already runs on a timer on one node at a time, and a cancelled account is, in the policy's
/// words, data whose retention ("until account cancellation") has ended.
/// </summary>
public sealed class CancellationCompleter(Cancellations cancellations) : IRetentionTarget
{
    /// <summary>The name completed cancellations are counted under in the sweep's record.</summary>
    public const string Name = "account-cancellations";

    public async Task<IReadOnlyList<RetentionCount>> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var completed = 0;
        foreach (var id in await cancellations.DueAsync(now, cancellationToken))
        {
            if (await cancellations.CompleteAsync(id, cancellationToken) is not null)
            {
                completed++;
            }
        }

        return [new RetentionCount(Name, completed, 0)];
    }

    public async Task<IReadOnlyList<RetentionDue>> DueAsync(CancellationToken cancellationToken) =>
        [new RetentionDue(Name, await cancellations.NextDueAsync(cancellationToken))];
}
