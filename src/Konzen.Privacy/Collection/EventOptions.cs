using System.ComponentModel.DataAnnotations;

namespace Konzen.Privacy.Collection;

/// <summary>How log events are pseudonymized and written. Bound from <c>Events</c>.</summary>
public sealed class EventOptions
{
    public const string Section = "Events";

    /// <summary>
    /// How long one pseudonymization key is used. Events of one actor link to each other only within
    /// one period: the next period gives the same actor a new pseudonym. Defaults to 30 days. Changing
    /// it renumbers the periods; keys already made stay valid and are destroyed on schedule.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "366.00:00:00")]
    public TimeSpan PseudonymRotation { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// The most events one commit of the writer takes from the requests waiting for it. Defaults to
    /// 200,000: large commits are what make an indexed insert fast, and every waiting request is in one.
    /// </summary>
    [Range(1_000, 10_000_000)]
    public int MaxEventsPerCommit { get; set; } = 200_000;
}
