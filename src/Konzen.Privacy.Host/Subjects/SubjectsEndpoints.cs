using System.Security.Claims;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Subjects;

/// <summary>Sign-up fields; optional purposes are not among them because they start withdrawn (S1.1).</summary>
internal sealed record RegistrationBody(string? Email, string? Phone, string? Password, DateOnly? BirthDate, string? AcceptedPolicyHash);

internal sealed record RegistrationAccepted(Guid RegistrationId);

internal sealed record VerificationBody(string? Channel, string? Code);

/// <summary><see cref="Remaining"/> lists the channels whose code is still to be entered.</summary>
internal sealed record VerificationPending(Guid RegistrationId, IReadOnlyList<string> Remaining);

internal sealed record SubjectCreated(Guid SubjectId);

/// <summary><see cref="Mode"/>: <c>cookie</c> for pages, <c>token</c> for apps.</summary>
internal sealed record SessionBody(string? Email, string? Phone, string? Password, string? Mode);

/// <summary>The signed-in subject. The email is read through the vault for the service itself (essential.service).</summary>
internal sealed record MeResponse(Guid SubjectId, string Region, string AcceptedPolicyHash, string? Email);

/// <summary>Registration, verification, sign-in and the signed-in subject (<c>/api/v1/…</c>).</summary>
internal static class SubjectsEndpoints
{
    /// <summary>Accepts the session cookie or the bearer token, whichever the client has.</summary>
    public const string SubjectPolicy = "subject";

    private const string ServicePurpose = "essential.service";

    public static IServiceCollection AddSubjectsAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(cookie =>
            {
                cookie.Cookie.Name = "konzen.session";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
                cookie.SlidingExpiration = true;

                // An API answers 401/403; it never redirects to a login page.
                cookie.Events.OnRedirectToLogin = context => Status(context.Response, StatusCodes.Status401Unauthorized);
                cookie.Events.OnRedirectToAccessDenied = context => Status(context.Response, StatusCodes.Status403Forbidden);
            })
            .AddBearerToken();
        services.AddAuthorizationBuilder().AddPolicy(SubjectPolicy, policy => policy
            .AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme, BearerTokenDefaults.AuthenticationScheme)
            .RequireAuthenticatedUser()
            .RequireClaim(ClaimTypes.NameIdentifier)
            .AddRequirements(new Rights.LiveSubjectRequirement()));
        services.AddScoped<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, Rights.LiveSubjectHandler>();
        return services;
    }

    public static RouteGroupBuilder MapSubjectsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1").WithTags("Subjects");
        group.MapPost("/registrations", RegisterAsync)
            .WithSummary("Starts a registration with an email address and/or a phone number; a six-digit code goes to each.");
        group.MapPost("/registrations/{id:guid}/verify", VerifyAsync)
            .WithSummary("Enters one code; when every address is verified the subject is created.");
        group.MapPost("/sessions", SignInAsync)
            .WithSummary("Signs in with one address and the password: a cookie (mode=cookie) or a bearer token (mode=token).");
        group.MapGet("/me", MeAsync).RequireAuthorization(SubjectPolicy)
            .WithSummary("The signed-in subject: id, region and the policy version accepted.");
        return group;
    }

    private static async Task<Results<Accepted<RegistrationAccepted>, ProblemHttpResult>> RegisterAsync(
        RegistrationBody body, SubjectRegistration registration, CancellationToken cancellationToken)
    {
        var started = await registration.StartAsync(
            new RegistrationRequest(body.Email, body.Phone, body.Password, body.BirthDate, body.AcceptedPolicyHash), cancellationToken);
        return started.Refusal is { } refusal
            ? Problem(refusal)
            : TypedResults.Accepted($"/api/v1/registrations/{started.RegistrationId}", new RegistrationAccepted(started.RegistrationId));
    }

    private static async Task<Results<Created<SubjectCreated>, Ok<VerificationPending>, ProblemHttpResult>> VerifyAsync(
        Guid id, VerificationBody body, SubjectRegistration registration, CancellationToken cancellationToken)
    {
        var result = await registration.VerifyAsync(id, body.Channel, body.Code, cancellationToken);
        if (result.Refusal is { } refusal)
        {
            return Problem(refusal);
        }

        return result.SubjectId is { } subjectId
            ? TypedResults.Created("/api/v1/me", new SubjectCreated(subjectId))
            : TypedResults.Ok(new VerificationPending(id, result.Remaining));
    }

    private static async Task<Results<SignInHttpResult, ProblemHttpResult>> SignInAsync(
        SessionBody body, Login login, TimeProvider time, CancellationToken cancellationToken)
    {
        var scheme = body.Mode switch
        {
            "cookie" => CookieAuthenticationDefaults.AuthenticationScheme,
            "token" => BearerTokenDefaults.AuthenticationScheme,
            _ => null,
        };
        if (scheme is null)
        {
            return Problem(new Refusal(RefusalKind.InvalidInput, "The session has invalid fields.",
                new Dictionary<string, string[]>(StringComparer.Ordinal) { ["mode"] = ["Expected cookie or token."] }));
        }

        var result = await login.SignInAsync(new LoginRequest(body.Email, body.Phone, body.Password), cancellationToken);
        if (result.Refusal is { } refusal)
        {
            return Problem(refusal);
        }

        // The subject's id and when the password was proved (for re-authentication): no contact data travels in the cookie or the token.
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, result.SubjectId!.Value.ToString()), Rights.RecentAuthentication.Claim(time.GetUtcNow())], scheme);
        return TypedResults.SignIn(new ClaimsPrincipal(identity), authenticationScheme: scheme);
    }

    private static async Task<Results<Ok<MeResponse>, NotFound>> MeAsync(
        ClaimsPrincipal user, PrivacyDbContext db, PersonalDataVault vault, ConsentLedger consent, CancellationToken cancellationToken)
    {
        if (SubjectIdOf(user) is not { } subjectId || await db.Subjects.FindAsync([subjectId], cancellationToken) is not { } subject)
        {
            return TypedResults.NotFound();
        }

        var state = await consent.GetStateAsync(subjectId, cancellationToken);
        var email = await vault.ReadAsync(db, state, subjectId, PersonalDataVault.EmailField, ServicePurpose, $"subject:{subjectId}", cancellationToken);
        return TypedResults.Ok(new MeResponse(subject.Id, subject.Region, subject.AcceptedPolicyHash, email.Value));
    }

    /// <summary>The signed-in subject's id: the only claim the session cookie and the bearer token carry.</summary>
    public static Guid? SubjectIdOf(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var subjectId) ? subjectId : null;

    private static ProblemHttpResult Problem(Refusal refusal)
    {
        var (status, type, title) = refusal.Kind switch
        {
            RefusalKind.InvalidInput => (StatusCodes.Status400BadRequest, Problems.InvalidInput, "Invalid input"),
            RefusalKind.PolicyOutdated => (StatusCodes.Status409Conflict, Problems.PolicyOutdated, "Not the policy in force"),
            RefusalKind.UnknownRegistration => (StatusCodes.Status404NotFound, Problems.UnknownRegistration, "Unknown registration"),
            RefusalKind.InvalidCode => (StatusCodes.Status400BadRequest, Problems.InvalidCode, "Invalid code"),
            RefusalKind.CodeExpired => (StatusCodes.Status400BadRequest, Problems.CodeExpired, "Code expired"),
            RefusalKind.TooManyAttempts => (StatusCodes.Status400BadRequest, Problems.TooManyAttempts, "Too many attempts"),
            RefusalKind.AlreadyRegistered => (StatusCodes.Status409Conflict, Problems.AlreadyRegistered, "Already registered"),
            RefusalKind.ServiceCeasing => (StatusCodes.Status410Gone, Problems.ServiceCeasing, "The service is ending"),
            _ => (StatusCodes.Status401Unauthorized, Problems.LoginFailed, "Sign-in failed"),
        };
        var extensions = refusal.Errors is { } errors ? new Dictionary<string, object?>(StringComparer.Ordinal) { ["errors"] = errors } : null;
        return TypedResults.Problem(refusal.Detail, statusCode: status, title: title, type: type, extensions: extensions);
    }

    private static Task Status(HttpResponse response, int status)
    {
        response.StatusCode = status;
        return Task.CompletedTask;
    }
}
