using System.ComponentModel.DataAnnotations;

namespace Konzen.Privacy.Rights;

/// <summary>Requests and complaints: their calendar, escalation and the key of anonymous reports. Bound from <c>Requests</c>.</summary>
public sealed class RequestOptions
{
    public const string Section = "Requests";

    /// <summary>
    /// A folder of extra calendar files (<c>cn-YYYY.json</c>) that add years to the shipped ones or
    /// replace them. Defaults to none. The service refuses to start if a file in it is invalid.
    /// </summary>
    public string? CalendarFolder { get; set; }

    /// <summary>An open request whose deadline falls within this many working days is escalated. Defaults to 3.</summary>
    [Range(0, 60)]
    public int EscalationWorkingDays { get; set; } = 3;

    /// <summary>How often this node looks for requests to escalate. Defaults to 1 hour; 1 minute to 1 day.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan EscalationInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Whether this node runs the escalation. Defaults to true; an advisory lock lets one node at a time on PostgreSQL.</summary>
    public bool EscalationEnabled { get; set; } = true;

    /// <summary>The privacy officer's address for escalations. Defaults to the policy's email contact channel.</summary>
    [EmailAddress]
    public string? OfficerEmail { get; set; }

    /// <summary>
    /// The key (created with mode 0600) that seals the texts of anonymous reports, which have no
    /// subject key. Defaults to <c>requests.key</c> in the data directory.
    /// </summary>
    public string? KeyFile { get; set; }
}
