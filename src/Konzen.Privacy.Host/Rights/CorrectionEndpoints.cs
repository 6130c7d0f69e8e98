using System.Security.Claims;
using Konzen.Privacy.Host.Subjects;
using Konzen.Privacy.Rights;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Rights;

internal sealed record ContactChangeBody(string? Email, string? Phone);

internal sealed record ContactVerifyBody(string? Channel, string? Code);

internal sealed record ContactChangeSent(string Status);

internal sealed record ContactCorrected(string Channel);

/// <summary>Correction of the email address or phone number, re-verified by a code to the new address (S6.1).</summary>
internal static class CorrectionEndpoints
{
    public static RouteGroupBuilder MapCorrectionEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/me/contact").WithTags("Rights").RequireAuthorization(SubjectsEndpoints.SubjectPolicy);
        group.MapPost("/", StartAsync).WithSummary("Starts a change of email or phone: a code goes to the new address. The answer is \"sent\" whether or not another account holds it.");
        group.MapPost("/verify", VerifyAsync).WithSummary("Enters the code sent to the new address; the account's address changes.");
        return group;
    }

    private static async Task<Results<Accepted<ContactChangeSent>, ProblemHttpResult, NotFound>> StartAsync(
        ContactChangeBody body, ClaimsPrincipal user, Corrections corrections, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        var result = await corrections.StartAsync(subjectId, body.Email, body.Phone, cancellationToken);
        return result.Refusal == CorrectionRefusal.None
            ? TypedResults.Accepted("/api/v1/me/contact/verify", new ContactChangeSent("sent"))
            : Problem(result);
    }

    private static async Task<Results<Ok<ContactCorrected>, ProblemHttpResult, NotFound>> VerifyAsync(
        ContactVerifyBody body, ClaimsPrincipal user, Corrections corrections, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        var result = await corrections.VerifyAsync(subjectId, body.Channel, body.Code, cancellationToken);
        return result.Refusal == CorrectionRefusal.None ? TypedResults.Ok(new ContactCorrected(body.Channel!)) : Problem(result);
    }

    private static ProblemHttpResult Problem(CorrectionResult result) => result.Refusal == CorrectionRefusal.InvalidInput
        ? TypedResults.Problem(result.Detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid input", type: Problems.InvalidInput)
        : TypedResults.Problem(result.Detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid code", type: Problems.InvalidCode);
}
