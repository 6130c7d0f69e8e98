using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Retention;

/// <summary>Turns a category's retention into a bound a sweep can compare a column with in SQL.</summary>
public static class RetentionCutoff
{
    /// <summary>
    /// The latest collection time that has certainly expired at <paramref name="now"/>: every row collected
    /// at or before it is past its retention (<c>ExpiresAt(collected) &lt;= now</c>). Null when the
    /// retention lasts until the account is cancelled.
    /// </summary>
    /// <remarks>
    /// Subtracting in the reverse order of <see cref="RetentionPeriod.ExpiresAt"/> (days, then months) can
    /// only land on or before the true bound, because a month's clamping to a shorter month only moves a
    /// date back. For periods in days it is exact; for periods in months a row collected on the 29th to
    /// 31st can wait up to three days longer at the end of a short month, never shorter than promised.
    /// </remarks>
    public static DateTimeOffset? Of(RetentionPeriod retention, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(retention);
        return retention.UntilAccountCancellation
            ? null
            : now.AddDays(-retention.Days).AddMonths(-((retention.Years * 12) + retention.Months));
    }
}
