using System.Security.Claims;
using System.Text.Json.Serialization;
using Konzen.Privacy.Host.Staff;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Notices;

/// <summary>A text in both languages as a request gives it; a missing one is refused, never filled in from the other.</summary>
internal sealed record SurveyTextBody(string? En, [property: JsonPropertyName("zh-CN")] string? ZhCn);

internal sealed record SurveyBody(SurveyTextBody? Title, SurveyTextBody? Link);

internal sealed record SurveyQueuedView(Guid SurveyId, int Queued);

/// <summary>
/// Survey invitations (S4.8) for staff: <c>POST /api/v1/admin/surveys</c> queues one for every subject
/// whose consent to surveys holds now and answers how many; nothing about who they are.
/// </summary>
internal static class SurveysEndpoints
{
    public static RouteGroupBuilder MapSurveysEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/v1/admin/surveys").WithTags("Notices").RequireAuthorization(StaffAuthentication.Policy);
        admin.MapPost("/", SendAsync).WithSummary(
            "{title: {en, zh-CN}, link: {en, zh-CN}} (https links): queues the invitation, in-app and by mail or SMS in each subject's language, " +
            "for the subjects whose consent to functional.service.surveys holds now; answers the survey id and how many were queued. Audited.");
        return admin;
    }

    private static async Task<Results<Ok<SurveyQueuedView>, ProblemHttpResult>> SendAsync(
        SurveyBody body, ClaimsPrincipal user, SurveyInvitations surveys, CancellationToken cancellationToken)
    {
        var invitation = new SurveyInvitation(
            new LocalizedText(body.Title?.En ?? string.Empty, body.Title?.ZhCn ?? string.Empty),
            new LocalizedText(body.Link?.En ?? string.Empty, body.Link?.ZhCn ?? string.Empty));
        var result = await surveys.SendAsync(invitation, StaffAuthentication.ActorOf(user), cancellationToken);
        if (!result.Accepted)
        {
            return TypedResults.Problem(
                "The survey invitation is not complete or not valid; nothing was queued.",
                statusCode: StatusCodes.Status400BadRequest,
                title: "Invalid input",
                type: Problems.InvalidInput,
                extensions: new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["errors"] = result.Errors.ToDictionary(e => e.Field, e => new[] { e.Expected }, StringComparer.Ordinal),
                });
        }

        return TypedResults.Ok(new SurveyQueuedView(result.SurveyId, result.Queued));
    }
}
