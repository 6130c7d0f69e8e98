using System.Security.Claims;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Host.Staff;
using Konzen.Privacy.Incidents;
using Konzen.Privacy.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Incidents;

/// <summary>An incident as staff record it; categories and stores are the policy's keys and ids.</summary>
internal sealed record IncidentBody(
    DateTimeOffset? DetectedAt,
    DateTimeOffset? OccurredFrom,
    DateTimeOffset? OccurredTo,
    IReadOnlyList<string>? Categories,
    IReadOnlyList<string>? Stores,
    string? Cause,
    string? Measures);

/// <summary>
/// Security incidents for staff (<c>/api/v1/admin/incidents</c>, S3.3): record one (the affected subjects
/// are found and notified, the privacy officer is mailed), list them, read one report and its subjects.
/// Every read is audited.
/// </summary>
internal static class IncidentsEndpoints
{
    public static RouteGroupBuilder MapIncidentsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/admin/incidents").WithTags("Incidents").RequireAuthorization(StaffAuthentication.Policy);
        group.MapPost("/", RecordAsync)
            .WithSummary("Records a security incident, finds the subjects with data of its categories in its stores during its window, queues the notice to each and mails the privacy officer.");
        group.MapGet("/", ListAsync).WithSummary("Every incident's report, newest first.");
        group.MapGet("/{id:guid}", FindAsync).WithSummary("One incident's report: counts, findings and timeline.");
        group.MapGet("/{id:guid}/subjects", SubjectsAsync).WithSummary("The ids of the subjects the incident affected.");
        return group;
    }

    private static async Task<Results<Created<IncidentReport>, ProblemHttpResult>> RecordAsync(
        IncidentBody body, ClaimsPrincipal user, SecurityIncidents incidents, CancellationToken cancellationToken)
    {
        var result = await incidents.RecordAsync(
            new IncidentInput(body.DetectedAt, body.OccurredFrom, body.OccurredTo, body.Categories, body.Stores, body.Cause, body.Measures),
            StaffAuthentication.ActorOf(user), cancellationToken);
        if (result.Errors is { } errors)
        {
            return TypedResults.Problem("The incident has invalid fields; nothing was recorded.", statusCode: StatusCodes.Status400BadRequest, title: "Invalid input",
                type: Problems.InvalidInput, extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["errors"] = errors });
        }

        return TypedResults.Created($"/api/v1/admin/incidents/{result.Report!.Id}", result.Report);
    }

    private static async Task<Ok<IReadOnlyList<IncidentReport>>> ListAsync(
        ClaimsPrincipal user, SecurityIncidents incidents, PrivacyDbContext db, AuditLog audit, CancellationToken cancellationToken)
    {
        var list = await incidents.ListAsync(cancellationToken);
        await audit.SaveChangesAsync(db, new AuditRecord(StaffAuthentication.ActorOf(user), "incident.viewed", Detail: "list"), cancellationToken);
        return TypedResults.Ok(list);
    }

    private static async Task<Results<Ok<IncidentReport>, NotFound>> FindAsync(
        Guid id, ClaimsPrincipal user, SecurityIncidents incidents, PrivacyDbContext db, AuditLog audit, CancellationToken cancellationToken)
    {
        if (await incidents.FindAsync(id, cancellationToken) is not { } report)
        {
            return TypedResults.NotFound();
        }

        await audit.SaveChangesAsync(db, new AuditRecord(StaffAuthentication.ActorOf(user), "incident.viewed", Detail: $"incident {id}"), cancellationToken);
        return TypedResults.Ok(report);
    }

    private static async Task<Results<Ok<IReadOnlyList<Guid>>, NotFound>> SubjectsAsync(
        Guid id, ClaimsPrincipal user, SecurityIncidents incidents, PrivacyDbContext db, AuditLog audit, CancellationToken cancellationToken)
    {
        if (await incidents.FindAsync(id, cancellationToken) is null)
        {
            return TypedResults.NotFound();
        }

        var subjects = await incidents.SubjectsAsync(id, cancellationToken);
        await audit.SaveChangesAsync(db, new AuditRecord(StaffAuthentication.ActorOf(user), "incident.subjects-viewed", Detail: $"incident {id}: {subjects.Count} subjects"), cancellationToken);
        return TypedResults.Ok(subjects);
    }
}
