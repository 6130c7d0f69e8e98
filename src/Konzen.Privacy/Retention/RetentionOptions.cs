using System.ComponentModel.DataAnnotations;

namespace Konzen.Privacy.Retention;

/// <summary>The background retention sweep. Bound from <c>Retention</c>.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>
    /// Time between two sweeps of this node. Defaults to 1 hour, so nothing stays more than an hour
    /// past its retention; at least 1 minute, at most 1 day.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Whether this node runs the background sweep. Defaults to true. On PostgreSQL every node may
    /// leave it on: an advisory lock lets one sweep at a time and the others skip.
    /// </summary>
    public bool Enabled { get; set; } = true;
}
