using System.ComponentModel.DataAnnotations;

namespace Konzen.Privacy.Cessation;

/// <summary>The end of the service. Bound from <c>Cessation</c>.</summary>
public sealed class CessationOptions
{
    public const string Section = "Cessation";

    /// <summary>Whether this node runs the job that ends the service once its day has come. Defaults to true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the job looks whether the day has come. Defaults to 1 hour; 1 second to 1 day.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a node trusts "no cessation announced" before it asks the store again (an announcement on
    /// this node holds here at once; on other nodes within this time). Defaults to 5 seconds; 0 to 1 minute.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(5);
}
