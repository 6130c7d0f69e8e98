using System.Security.Claims;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Host.Staff;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Retention;
using Konzen.Privacy.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Retention;

internal sealed record SweepCountView(string Category, int Deleted, int Anonymized);

/// <summary>One recorded sweep; <see cref="Error"/> is the kind of error of a failed one.</summary>
internal sealed record SweepView(
    Guid Id,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    string Node,
    string Actor,
    RetentionSweepOutcome Outcome,
    string? Error,
    IReadOnlyList<SweepCountView> Counts);

/// <summary>
/// A category: its retention in the policy (null for working data), when its oldest row expires (null
/// when none is held), and whether any sweep target holds it (false: nothing here stores it, or nothing sweeps it yet).
/// </summary>
internal sealed record DueView(string Category, RetentionPeriod? Retention, DateTimeOffset? NextExpiry, bool Swept);

internal sealed record RetentionReport(IReadOnlyList<SweepView> Sweeps, IReadOnlyList<DueView> Due);

/// <summary>The staff's view of retention (<c>/api/v1/admin/retention</c>): the last sweeps, what is due next, and a sweep on demand.</summary>
internal static class RetentionEndpoints
{
    private const int DefaultLimit = 20;
    private const int MaxLimit = 100;

    public static RouteGroupBuilder MapRetentionEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/admin/retention").WithTags("Retention").RequireAuthorization(StaffAuthentication.Policy);
        group.MapGet("/", ReportAsync)
            .WithSummary("The last retention sweeps (newest first, ?limit=1..100, default 20) and, per category, its retention, when its oldest row expires and whether a sweep covers it.");
        group.MapPost("/sweeps", SweepAsync)
            .WithSummary("Runs one retention sweep now; 409 when another node is sweeping.");
        return group;
    }

    private static async Task<Results<Ok<RetentionReport>, ProblemHttpResult>> ReportAsync(
        int? limit, ClaimsPrincipal user, RetentionSweep sweep, PrivacyDbContext db, AuditLog audit, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxLimit)
        {
            return Problems.Invalid($"limit must be 1 to {MaxLimit}.", "limit", $"A number from 1 to {MaxLimit}.");
        }

        var sweeps = await sweep.LastSweepsAsync(limit ?? DefaultLimit, cancellationToken);
        var due = await sweep.DueAsync(cancellationToken);
        await audit.SaveChangesAsync(db, new AuditRecord(StaffAuthentication.ActorOf(user), "retention.viewed"), cancellationToken);
        return TypedResults.Ok(new RetentionReport(
            [.. sweeps.Select(s => new SweepView(s.Id, s.StartedAt, s.FinishedAt, s.Node, s.Actor, s.Outcome, s.Error,
                [.. s.Counts.OrderBy(c => c.Category, StringComparer.Ordinal).Select(c => new SweepCountView(c.Category, c.Deleted, c.Anonymized))]))],
            [.. due.Select(d => new DueView(d.Category, d.Retention, d.NextExpiry, d.Swept))]));
    }

    private static async Task<Results<Ok<SweepView>, ProblemHttpResult>> SweepAsync(
        ClaimsPrincipal user, RetentionSweep sweep, CancellationToken cancellationToken)
    {
        var result = await sweep.RunAsync(StaffAuthentication.ActorOf(user), cancellationToken);
        if (result.Outcome == RetentionSweepOutcome.Skipped)
        {
            return TypedResults.Problem(
                "Another node is sweeping this store now; its sweep will appear in the list when it finishes.",
                statusCode: StatusCodes.Status409Conflict, title: "Sweep in progress", type: Problems.SweepInProgress);
        }

        return TypedResults.Ok(new SweepView(result.SweepId!.Value, result.StartedAt, result.FinishedAt, result.Node, StaffAuthentication.ActorOf(user), result.Outcome, null,
            [.. result.Counts.Select(c => new SweepCountView(c.Category, c.Deleted, c.Anonymized))]));
    }
}
