using System.ComponentModel.DataAnnotations;

namespace Konzen.Privacy.Policy.Versions;

/// <summary>Policy versions and their notices. Bound from the <c>PolicyVersions</c> configuration section.</summary>
public sealed class PolicyVersionsOptions
{
    public const string Section = "PolicyVersions";

    /// <summary>
    /// How often each node reads versions published on another node. Defaults to 1 minute; it must stay
    /// well below the policy's notice period, which is the least time between publication and effect.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The link the notice of a new version gives to the readable changes. Defaults to <c>/policy/changes</c>.</summary>
    [Required]
    [MaxLength(500)]
    public string ChangesLink { get; set; } = "/policy/changes";
}
