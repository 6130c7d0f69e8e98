using System.Security.Claims;
using Konzen.Privacy.Host.Subjects;
using Konzen.Privacy.Rights;
using Konzen.Privacy.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Host.Rights;

internal sealed record CancellationBody(string? Channel);

internal sealed record CancellationConfirmBody(string? Channel, string? Code);

internal sealed record CancellationCodeSent(string Status);

/// <summary><see cref="CertificateUrl"/> works once, after <see cref="DueAt"/>, with the token in it: keep it, the account will be gone.</summary>
internal sealed record CancellationScheduledResponse(Guid CancellationId, DateTimeOffset DueAt, string CertificateToken, string CertificateUrl);

internal sealed record CancellationUndone(Guid CancellationId);

/// <summary>Account cancellation (S6.4): request, confirm with a code, undo during the cooling-off period, fetch the certificate.</summary>
internal static class CancellationEndpoints
{
    public static RouteGroupBuilder MapCancellationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1").WithTags("Rights");
        var me = group.MapGroup("/me/cancellation").RequireAuthorization(SubjectsEndpoints.SubjectPolicy);
        me.MapPost("/", StartAsync).WithSummary("Sends a code to one of the account's verified addresses to confirm its cancellation.");
        me.MapPost("/confirm", ConfirmAsync).WithSummary("Enters the code: the cancellation is scheduled after the policy's cooling-off period.");
        me.MapDelete("/", UndoAsync).WithSummary("Undoes a scheduled cancellation during the cooling-off period.");
        group.MapGet("/cancellations/{id:guid}/certificate", CertificateAsync)
            .WithSummary("The signed deletion certificate (JWS), once, with the token given at confirmation.");
        return group;
    }

    private static async Task<Results<Accepted<CancellationCodeSent>, ProblemHttpResult, NotFound>> StartAsync(
        CancellationBody body, ClaimsPrincipal user, Cancellations cancellations, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        var result = await cancellations.StartAsync(subjectId, body.Channel, cancellationToken);
        return result.Refusal == CancellationRefusal.None
            ? TypedResults.Accepted("/api/v1/me/cancellation/confirm", new CancellationCodeSent("sent"))
            : Problem(result.Refusal, result.Detail);
    }

    private static async Task<Results<Ok<CancellationScheduledResponse>, ProblemHttpResult, NotFound>> ConfirmAsync(
        CancellationConfirmBody body, ClaimsPrincipal user, Cancellations cancellations, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        var result = await cancellations.ConfirmAsync(subjectId, body.Channel, body.Code, cancellationToken);
        if (result.Value is not { } scheduled)
        {
            return Problem(result.Refusal, result.Detail);
        }

        var url = $"/api/v1/cancellations/{scheduled.CancellationId}/certificate?token={scheduled.CertificateToken}";
        return TypedResults.Ok(new CancellationScheduledResponse(scheduled.CancellationId, scheduled.DueAt, scheduled.CertificateToken, url));
    }

    private static async Task<Results<Ok<CancellationUndone>, ProblemHttpResult, NotFound>> UndoAsync(
        ClaimsPrincipal user, Cancellations cancellations, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        var result = await cancellations.UndoAsync(subjectId, cancellationToken);
        return result.Refusal == CancellationRefusal.None ? TypedResults.Ok(new CancellationUndone(result.Value)) : Problem(result.Refusal, result.Detail);
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> CertificateAsync(
        Guid id, string? token, Cancellations cancellations, CancellationToken cancellationToken)
    {
        var result = await cancellations.FetchCertificateAsync(id, token, cancellationToken);
        return result.Value is { } jws ? TypedResults.Text(jws, "application/jose") : Problem(result.Refusal, result.Detail);
    }

    private static ProblemHttpResult Problem(CancellationRefusal refusal, string? detail)
    {
        var (status, type, title) = refusal switch
        {
            CancellationRefusal.InvalidInput => (StatusCodes.Status400BadRequest, Problems.InvalidInput, "Invalid input"),
            CancellationRefusal.InvalidCode => (StatusCodes.Status400BadRequest, Problems.InvalidCode, "Invalid code"),
            CancellationRefusal.Conflict => (StatusCodes.Status409Conflict, CancellationConflict, "Cancellation state"),
            _ => (StatusCodes.Status404NotFound, NotFoundType, "Not found"),
        };
        return TypedResults.Problem(detail, statusCode: status, title: title, type: type);
    }

    private const string CancellationConflict = "urn:konzen:problem:cancellation-state";
    private const string NotFoundType = "urn:konzen:problem:not-found";
}

/// <summary>A signed-in subject whose account still exists: a cancelled account's cookies and tokens stop working.</summary>
internal sealed class LiveSubjectRequirement : IAuthorizationRequirement;

/// <summary>
/// Sessions are stateless (a cookie or a bearer token carrying only the id), so a cancellation cannot
/// revoke them; instead every authorized request checks that the subject row still exists (one
/// primary-key lookup). Completion deletes that row, so the next request is refused.
/// </summary>
internal sealed class LiveSubjectHandler(PrivacyDbContext db) : AuthorizationHandler<LiveSubjectRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, LiveSubjectRequirement requirement)
    {
        if (SubjectsEndpoints.SubjectIdOf(context.User) is { } subjectId && await db.Subjects.AnyAsync(s => s.Id == subjectId))
        {
            context.Succeed(requirement);
        }
    }
}
