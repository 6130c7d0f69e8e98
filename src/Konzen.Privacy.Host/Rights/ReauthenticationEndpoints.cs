using System.Security.Claims;
using Konzen.Privacy.Host.Subjects;
using Konzen.Privacy.Subjects;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Rights;

internal sealed record ReauthenticationBody(string? Password);

/// <summary>Re-entering the password refreshes the session's authentication time (<c>/api/v1/me/reauthenticate</c>).</summary>
internal static class ReauthenticationEndpoints
{
    public static IServiceCollection AddReauthentication(this IServiceCollection services)
    {
        services.AddOptions<ReauthenticationOptions>().BindConfiguration(ReauthenticationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    public static RouteGroupBuilder MapReauthenticationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/me").WithTags("Rights").RequireAuthorization(SubjectsEndpoints.SubjectPolicy);
        group.MapPost("/reauthenticate", ReauthenticateAsync)
            .WithSummary("Checks the password again (same lockout as sign-in) and renews the session's authentication time: a new cookie, or a new bearer token.");
        return group;
    }

    private static async Task<Results<SignInHttpResult, ProblemHttpResult, NotFound>> ReauthenticateAsync(
        ReauthenticationBody body, ClaimsPrincipal user, Login login, TimeProvider time, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        var result = await login.ReauthenticateAsync(subjectId, body.Password, cancellationToken);
        if (result.Refusal is { } refusal)
        {
            return refusal.Kind == RefusalKind.InvalidInput
                ? Problems.Invalid(refusal.Detail, "password", "The password.")
                : TypedResults.Problem(refusal.Detail, statusCode: StatusCodes.Status401Unauthorized, title: "Sign-in failed", type: Problems.LoginFailed);
        }

        // The session keeps its kind: a cookie session gets a new cookie, a token session a new token.
        var scheme = user.Identity?.AuthenticationType == BearerTokenDefaults.AuthenticationScheme
            ? BearerTokenDefaults.AuthenticationScheme
            : CookieAuthenticationDefaults.AuthenticationScheme;
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, subjectId.ToString()), RecentAuthentication.Claim(time.GetUtcNow())], scheme);
        return TypedResults.SignIn(new ClaimsPrincipal(identity), authenticationScheme: scheme);
    }
}
