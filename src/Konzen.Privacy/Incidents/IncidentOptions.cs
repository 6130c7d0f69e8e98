using System.ComponentModel.DataAnnotations;

namespace Konzen.Privacy.Incidents;

/// <summary>Security incidents. Bound from <c>Incidents</c>.</summary>
public sealed class IncidentOptions
{
    public const string Section = "Incidents";

    /// <summary>Where the privacy officer is told of each incident. Defaults to the policy's email contact.</summary>
    [EmailAddress]
    public string? OfficerEmail { get; set; }
}
