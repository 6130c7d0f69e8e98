using System.Security.Claims;
using Konzen.Privacy.Host.Subjects;
using Konzen.Privacy.Rights;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Rights;

/// <summary>Self-service deletion of one category or of everything optional (S6.1); what is kept is listed with its reason and date.</summary>
internal static class DeletionEndpoints
{
    public static RouteGroupBuilder MapDeletionEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/me/data").WithTags("Rights").RequireAuthorization(SubjectsEndpoints.SubjectPolicy);
        group.MapDelete("/{category}", DeleteCategoryAsync).WithSummary("Deletes one category: location-history or log-events. The answer lists what is kept, why and until when.");
        group.MapDelete("/", DeleteAllAsync).WithSummary("Deletes every optional category at once. The answer lists what is kept, why and until when.");
        return group;
    }

    private static async Task<Results<Ok<DeletionReport>, ProblemHttpResult, NotFound>> DeleteCategoryAsync(
        string category, ClaimsPrincipal user, Deletions deletions, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        if (await deletions.DeleteAsync(subjectId, category, cancellationToken) is not { } report)
        {
            return TypedResults.Problem($"Categories that can be deleted: {string.Join(", ", Deletions.Categories)}.",
                statusCode: StatusCodes.Status404NotFound, title: "Unknown category", type: UnknownCategory);
        }

        return TypedResults.Ok(report);
    }

    private static async Task<Results<Ok<DeletionReport>, NotFound>> DeleteAllAsync(ClaimsPrincipal user, Deletions deletions, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        return TypedResults.Ok((await deletions.DeleteAsync(subjectId, null, cancellationToken))!);
    }

    private const string UnknownCategory = "urn:konzen:problem:unknown-category";
}
