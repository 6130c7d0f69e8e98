using System.Security.Claims;
using System.Text.Encodings.Web;
using Konzen.Privacy.Staff;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Host.Staff;

/// <summary>
/// The "Staff" authentication scheme and the <see cref="Policy"/> the admin endpoints require. It reads
/// only <c>Authorization: Bearer kzs_…</c>; the subject policy never names this scheme, and this policy
/// names no other, so a staff token signs no one in as a subject and a subject's cookie or token never
/// passes as staff.
/// </summary>
internal static class StaffAuthentication
{
    public const string Scheme = "Staff";

    /// <summary>The authorization policy of every admin endpoint.</summary>
    public const string Policy = "staff";

    /// <summary>The claim that carries the staff member's name.</summary>
    public const string NameClaim = "konzen:staff";

    public static IServiceCollection AddStaffAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, StaffAuthenticationHandler>(Scheme, displayName: null, _ => { });
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy
            .AddAuthenticationSchemes(Scheme)
            .RequireAuthenticatedUser()
            .RequireClaim(NameClaim));
        return services;
    }

    /// <summary>The actor a signed-in staff member acts as in audit entries: <c>staff:{name}</c>.</summary>
    public static string ActorOf(ClaimsPrincipal user) =>
        StaffDirectory.ActorOf(user.FindFirstValue(NameClaim) ?? throw new InvalidOperationException("The request is not signed in as staff."));
}

/// <summary>Turns a staff bearer token into the staff member it belongs to, by the hash of the token.</summary>
internal sealed class StaffAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    StaffDirectory staff) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string Bearer = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (header is null || !header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        // Anything without the staff prefix (a subject's token) is not this scheme's to judge.
        var token = header[Bearer.Length..].Trim();
        if (!StaffDirectory.LooksLikeToken(token))
        {
            return AuthenticateResult.NoResult();
        }

        var member = await staff.AuthenticateAsync(token, Context.RequestAborted);
        if (member is null)
        {
            return AuthenticateResult.Fail("The staff token is unknown or disabled.");
        }

        var identity = new ClaimsIdentity([new Claim(StaffAuthentication.NameClaim, member.Name)], StaffAuthentication.Scheme, StaffAuthentication.NameClaim, roleType: null);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), StaffAuthentication.Scheme));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"konzen-staff\"";
        return Task.CompletedTask;
    }
}
