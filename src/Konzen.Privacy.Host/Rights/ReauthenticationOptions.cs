using System.ComponentModel.DataAnnotations;

namespace Konzen.Privacy.Host.Rights;

/// <summary>How recent a sign-in must be for the rights that hand out or end everything. Bound from <c>Rights</c>.</summary>
internal sealed class ReauthenticationOptions
{
    public const string Section = "Rights";

    /// <summary>
    /// How long after signing in (or re-entering the password) the export is allowed without asking
    /// for the password again. Defaults to 10 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:30", "1.00:00:00")]
    public TimeSpan ReauthenticationWindow { get; set; } = TimeSpan.FromMinutes(10);
}
