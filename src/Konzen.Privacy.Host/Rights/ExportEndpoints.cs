using System.Security.Claims;
using Konzen.Privacy.Host.Subjects;
using Konzen.Privacy.Rights;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Host.Rights;

/// <summary>
/// The subject's copy of everything held about it (S6.1, <c>/api/v1/me/data…</c>): the JSON document,
/// the same as a zip with CSV files and a readable page, and single records by id. Every route needs a
/// recent sign-in, and only ever looks at the signed-in subject's rows: another subject's id is a 404.
/// </summary>
internal static class ExportEndpoints
{
    public static RouteGroupBuilder MapExportEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/me").WithTags("Rights").RequireAuthorization(SubjectsEndpoints.SubjectPolicy);
        group.MapGet("/data", JsonAsync)
            .WithSummary("Everything held about the signed-in subject as one JSON document (schema /schemas/export-v1.json), streamed.");
        group.MapGet("/data.zip", ZipAsync)
            .WithSummary("The same as a zip: data.json, one CSV per section and index.html, streamed.");
        group.MapGet("/data/locations/{id:guid}", LocationAsync)
            .WithSummary("One of the subject's location points, decrypted; 404 for any other id.");
        return group;
    }

    private static async Task<Results<PushStreamHttpResult, ProblemHttpResult, NotFound>> JsonAsync(
        ClaimsPrincipal user, DataExport export, TimeProvider time, IOptions<ReauthenticationOptions> options, CancellationToken cancellationToken)
    {
        if (RecentAuthentication.Require(user, time, options.Value.ReauthenticationWindow) is { } problem)
        {
            return problem;
        }

        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId || await export.AccountAsync(subjectId, cancellationToken) is not { } account)
        {
            return TypedResults.NotFound();
        }

        await export.RecordAsync(subjectId, "json", cancellationToken);
        var now = time.GetUtcNow();
        return TypedResults.Stream(
            body => DataExportJson.WriteAsync(body, export, account, now, cancellationToken), "application/json; charset=utf-8", "konzen-data.json");
    }

    private static async Task<Results<PushStreamHttpResult, ProblemHttpResult, NotFound>> ZipAsync(
        HttpRequest request, ClaimsPrincipal user, DataExport export, TimeProvider time, IOptions<ReauthenticationOptions> options, CancellationToken cancellationToken)
    {
        if (RecentAuthentication.Require(user, time, options.Value.ReauthenticationWindow) is { } problem)
        {
            return problem;
        }

        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId || await export.AccountAsync(subjectId, cancellationToken) is not { } account)
        {
            return TypedResults.NotFound();
        }

        await export.RecordAsync(subjectId, "zip", cancellationToken);
        var now = time.GetUtcNow();
        var chinese = ExportZip.PrefersChinese(request.Headers.AcceptLanguage.ToString());
        return TypedResults.Stream(
            body => ExportZip.WriteAsync(body, export, account, now, chinese, cancellationToken), "application/zip", "konzen-data.zip");
    }

    private static async Task<Results<Ok<ExportLocation>, ProblemHttpResult, NotFound>> LocationAsync(
        Guid id, ClaimsPrincipal user, DataExport export, TimeProvider time, IOptions<ReauthenticationOptions> options, CancellationToken cancellationToken)
    {
        if (RecentAuthentication.Require(user, time, options.Value.ReauthenticationWindow) is { } problem)
        {
            return problem;
        }

        // The owner is part of the query: another subject's point and no point look the same.
        return SubjectsEndpoints.SubjectIdOf(user) is { } subjectId && await export.LocationAsync(subjectId, id, cancellationToken) is { } point
            ? TypedResults.Ok(point)
            : TypedResults.NotFound();
    }
}
