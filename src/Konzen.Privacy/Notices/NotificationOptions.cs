using System.ComponentModel.DataAnnotations;

namespace Konzen.Privacy.Notices;

/// <summary>The notification outbox and its dispatcher. Bound from <c>Notifications</c>.</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>Whether this node runs the background dispatcher. Defaults to true; on PostgreSQL an advisory lock lets one node dispatch at a time.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between two dispatcher runs. Defaults to 30 seconds; 1 second to 1 hour.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most messages one dispatcher run sends. Defaults to 100; 1 to 10,000.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// The subjects one transaction of a notice to many (every subject, every one who opted in, or the
    /// subjects a security incident affected) covers. Defaults to 5,000; 1 to 50,000. Larger batches commit less often; each holds the data
    /// store's write lock on SQLite for the time of its insert (a few hundred milliseconds at the default).
    /// </summary>
    [Range(1, 50_000)]
    public int EnqueueBatchSize { get; set; } = 5_000;

    /// <summary>Delivery attempts before a message is marked failed. Defaults to 6; 1 to 50.</summary>
    [Range(1, 50)]
    public int MaxAttempts { get; set; } = 6;

    /// <summary>
    /// The wait after the first failed attempt; each further failure doubles it (1, 2, 4, 8, 16 minutes
    /// by default). Defaults to 1 minute; 1 second to 1 day.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan BaseBackoff { get; set; } = TimeSpan.FromMinutes(1);
}
