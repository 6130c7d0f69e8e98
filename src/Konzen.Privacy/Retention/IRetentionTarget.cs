namespace Konzen.Privacy.Retention;

/// <summary>What one sweep removed of one category (or of one kind of working data, such as pending registrations).</summary>
/// <param name="Category">A policy category key, or the name of the working data when no category applies.</param>
/// <param name="Deleted">Rows deleted.</param>
/// <param name="Anonymized">Rows kept with their personal parts removed.</param>
public sealed record RetentionCount(string Category, int Deleted, int Anonymized);

/// <summary>When the oldest row of a category expires; null when nothing of it is held.</summary>
public sealed record RetentionDue(string Category, DateTimeOffset? NextExpiry);

/// <summary>
/// Something a feature keeps that expires. The retention sweep asks every registered target (scoped,
/// so it may take the <c>PrivacyDbContext</c>) to remove what is past the retention the policy gives
/// its category; the sweep records the counts. Each feature knows its own tables; the sweep knows none.
/// </summary>
public interface IRetentionTarget
{
    /// <summary>Deletes or anonymizes every row past its retention at <paramref name="now"/>, and says how many per category.</summary>
    /// <remarks>Runs inside the sweep's transaction on the scope's <c>PrivacyDbContext</c>: delete with <c>ExecuteDeleteAsync</c> or SaveChanges, never begin or commit a transaction.</remarks>
    Task<IReadOnlyList<RetentionCount>> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>For each category this target holds, when its oldest row expires.</summary>
    Task<IReadOnlyList<RetentionDue>> DueAsync(CancellationToken cancellationToken);
}
