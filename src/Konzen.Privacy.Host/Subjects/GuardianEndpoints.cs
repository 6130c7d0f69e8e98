using System.Security.Claims;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Host.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Subjects;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Konzen.Privacy.Host.Subjects;

/// <summary>The minor names their guardian: exactly one of <see cref="Email"/> and <see cref="Phone"/>; <see cref="Language"/> en (default) or zh-CN.</summary>
internal sealed record GuardianBody(string? Email, string? Phone, string? Language);

/// <summary>The guardian enters the code sent to them for <see cref="MinorId"/>.</summary>
internal sealed record GuardianVerifyBody(Guid? MinorId, string? Code);

/// <summary>
/// The guardian flow (S8.1). The minor, signed in, names a guardian (<c>/api/v1/me/guardian</c>); the guardian,
/// who has no account, verifies with the code and then calls <c>/api/v1/guardian/…</c> with the access token it
/// got (<c>Authorization: Bearer …</c>): a credential of its own that works for that minor only and never
/// opens the minor's account, as the minor's session never opens the guardian's endpoints.
/// </summary>
internal static class GuardianEndpoints
{
    public static RouteGroupBuilder MapGuardianEndpoints(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/v1/me/guardian").WithTags("Guardians").RequireAuthorization(SubjectsEndpoints.SubjectPolicy);
        me.MapPut("/", NameAsync)
            .WithSummary("A minor names their guardian's email or phone; a code (and a link carrying it) goes there. Refused once a guardian is verified.");
        me.MapGet("/", StatusAsync)
            .WithSummary("Whether the signed-in minor's guardian is named and verified (never the address).");

        var guardian = app.MapGroup("/api/v1/guardian").WithTags("Guardians");
        guardian.MapPost("/verify", VerifyAsync)
            .WithSummary("The guardian enters the code: the address is proved, the account approved, and the guardian gets its own access token (shown once).");
        guardian.MapGet("/consents", ListAsync)
            .WithSummary("The minor's optional purposes and the current choice; purposes the policy excludes for minors are marked not offered.");
        guardian.MapPut("/consents/{purpose}", RecordAsync)
            .WithSummary("The guardian gives (granted: true) or withdraws (granted: false) consent to one purpose for the minor; answers with the signed receipt.");

        // The page the guardian's message links to (GuardianOptions.VerificationPage): a static page whose script
        // calls the endpoints above.
        app.MapGet("/guardian", Page).ExcludeFromDescription();
        return guardian;
    }

    /// <summary>
    /// The guardian page. It holds a verification code (read from the fragment) and then the guardian's token in
    /// memory, so it is never cached, sends no referrer, runs only this site's own script and cannot be framed.
    /// </summary>
    private static IResult Page(HttpContext context, IWebHostEnvironment environment)
    {
        if (environment.WebRootFileProvider.GetFileInfo("guardian/index.html") is not { Exists: true } page)
        {
            return TypedResults.NotFound();
        }

        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy =
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        return TypedResults.Stream(page.CreateReadStream(), "text/html; charset=utf-8");
    }

    private static async Task<Results<Accepted<GuardianInvitation>, ProblemHttpResult, NotFound>> NameAsync(
        GuardianBody body, ClaimsPrincipal user, Guardians guardians, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        var language = PolicyLanguage.En;
        if (body.Language is not null && !PolicyLanguages.TryParse(body.Language, out language))
        {
            return Problems.Invalid("The guardian has invalid fields.", "language", "en|zh-CN");
        }

        var result = await guardians.NameAsync(subjectId, body.Email, body.Phone, language, cancellationToken);
        return result.Value is { } invitation ? TypedResults.Accepted("/api/v1/me/guardian", invitation) : Problem(result.Refusal, result.Detail, result.Errors);
    }

    private static async Task<Results<Ok<GuardianStatus>, ProblemHttpResult, NotFound>> StatusAsync(
        ClaimsPrincipal user, Guardians guardians, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        return await guardians.StatusAsync(subjectId, cancellationToken) is { } status
            ? TypedResults.Ok(status)
            : Problem(GuardianRefusal.NotAMinor, "Only an account of someone under 18 has a guardian.", null);
    }

    private static async Task<Results<Ok<GuardianAccess>, ProblemHttpResult>> VerifyAsync(
        GuardianVerifyBody body, Guardians guardians, CancellationToken cancellationToken)
    {
        if (body.MinorId is not { } minorId)
        {
            return Problems.Invalid("The verification has invalid fields.", "minorId", "The account id from the link or message.");
        }

        var result = await guardians.VerifyAsync(minorId, body.Code, cancellationToken);
        return result.Value is { } access ? TypedResults.Ok(access) : Problem(result.Refusal, result.Detail, result.Errors);
    }

    private static async Task<Results<Ok<IReadOnlyList<GuardianPurpose>>, UnauthorizedHttpResult>> ListAsync(
        HttpContext context, Guardians guardians, CancellationToken cancellationToken) =>
        await guardians.AuthenticateAsync(TokenOf(context.Request), cancellationToken) is { } minorId
            ? TypedResults.Ok(await guardians.PurposesAsync(minorId, cancellationToken))
            : TypedResults.Unauthorized();

    private static async Task<Results<Ok<ConsentRecorded>, ProblemHttpResult, UnauthorizedHttpResult>> RecordAsync(
        string purpose, ConsentBody body, HttpContext context, Guardians guardians, CancellationToken cancellationToken)
    {
        if (await guardians.AuthenticateAsync(TokenOf(context.Request), cancellationToken) is not { } minorId)
        {
            return TypedResults.Unauthorized();
        }

        if (body.Granted is not { } granted)
        {
            return Problems.Invalid("The consent change has invalid fields.", "granted", "Expected true (give consent) or false (withdraw it).");
        }

        var evidence = new ConsentEvidence(context.Connection.RemoteIpAddress?.ToString(), context.Request.Headers.UserAgent.ToString());
        var change = await guardians.RecordAsync(minorId, purpose, granted, evidence, cancellationToken);
        return change.Recorded
            ? TypedResults.Ok(new ConsentRecorded(purpose, granted, change.Receipt!.ReceiptId, change.Receipt.Jws))
            : ConsentEndpoints.Refused(change.Refusal, purpose);
    }

    /// <summary>The bearer credential of the request, if any: the guardian's token is checked by <see cref="Guardians.AuthenticateAsync"/>, not by the subjects' schemes.</summary>
    private static string? TokenOf(HttpRequest request) =>
        request.Headers[HeaderNames.Authorization].ToString() is { } header && header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;

    private static ProblemHttpResult Problem(GuardianRefusal refusal, string? detail, IReadOnlyDictionary<string, string[]>? errors)
    {
        var (status, type, title) = refusal switch
        {
            GuardianRefusal.InvalidInput => (StatusCodes.Status400BadRequest, Problems.InvalidInput, "Invalid input"),
            GuardianRefusal.NotAMinor => (StatusCodes.Status409Conflict, Problems.NotAMinor, "Not a minor's account"),
            GuardianRefusal.AlreadyVerified => (StatusCodes.Status409Conflict, Problems.GuardianVerified, "Guardian already verified"),
            GuardianRefusal.CodeExpired => (StatusCodes.Status400BadRequest, Problems.CodeExpired, "Code expired"),
            GuardianRefusal.TooManyAttempts => (StatusCodes.Status400BadRequest, Problems.TooManyAttempts, "Too many attempts"),
            _ => (StatusCodes.Status400BadRequest, Problems.InvalidCode, "Invalid code"),
        };
        var extensions = errors is null ? null : new Dictionary<string, object?>(StringComparer.Ordinal) { ["errors"] = errors };
        return TypedResults.Problem(detail, statusCode: status, title: title, type: type, extensions: extensions);
    }
}
