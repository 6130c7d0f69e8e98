using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Rights;

/// <summary>
/// The time a session last proved the password, carried as the claim <see cref="ClaimType"/> (Unix
/// seconds) in the cookie or bearer token, so that a stolen long-lived session alone cannot take
/// everything out: the export asks for a sign-in younger than the window.
/// </summary>
internal static class RecentAuthentication
{
    public const string ClaimType = "konzen:auth_time";

    public const string ProblemType = "urn:konzen:problem:reauthentication-required";

    public static Claim Claim(DateTimeOffset at) =>
        new(ClaimType, at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64);

    /// <summary>When the session last proved the password, or null for a session without the claim.</summary>
    public static DateTimeOffset? AuthenticatedAt(ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(ClaimType), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    /// <summary>Null when the password was proved within <paramref name="maxAge"/>; otherwise the 403 problem to answer with.</summary>
    public static ProblemHttpResult? Require(ClaimsPrincipal user, TimeProvider time, TimeSpan maxAge)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(time);

        // A session without the claim (issued before it existed) counts as old; a time in the future is not trusted either.
        var now = time.GetUtcNow();
        if (AuthenticatedAt(user) is { } at && at <= now + TimeSpan.FromMinutes(1) && now - at <= maxAge)
        {
            return null;
        }

        return TypedResults.Problem(
            "Enter your password again (POST /api/v1/me/reauthenticate) to continue.",
            statusCode: StatusCodes.Status403Forbidden, title: "Re-authentication required", type: ProblemType);
    }
}
