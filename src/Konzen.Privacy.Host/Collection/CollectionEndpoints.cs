using System.Security.Claims;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Host.Subjects;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Collection;

/// <summary>A device's report: a fix (accuracy in metres, source gps or wifi, device time) and positioning on or off.</summary>
internal sealed record LocationBody(double? Latitude, double? Longitude, double? Accuracy, string? Source, string? Positioning, DateTimeOffset? Time);

internal sealed record LocationStored(Guid Id);

internal sealed record LocationPointView(DateTimeOffset Time, double Latitude, double Longitude, bool CityLevel);

internal sealed record LocationsResponse(string Purpose, bool Allowed, string Reason, string Clause, IReadOnlyList<LocationPointView> Points);

/// <summary>Location intake from the signed-in subject's device, and what each purpose may read of it.</summary>
internal static class CollectionEndpoints
{
    public const string LocationNotConsented = "urn:konzen:problem:location-not-consented";
    public const string PositioningOff = "urn:konzen:problem:positioning-off";

    public static RouteGroupBuilder MapCollectionEndpoints(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/v1/me").WithTags("Collection").RequireAuthorization(SubjectsEndpoints.SubjectPolicy);
        me.MapPost("/locations", RecordAsync)
            .WithSummary("Reports a position; stored (encrypted) only while location-based services are consented and positioning is on.");
        me.MapGet("/locations", ReadAsync)
            .WithSummary("The signed-in subject's positions as one purpose may see them: precise, city level (0.1 degree) or none.");
        return me;
    }

    private static async Task<Results<Created<LocationStored>, ProblemHttpResult, NotFound>> RecordAsync(
        LocationBody body, ClaimsPrincipal user, LocationIntake intake, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        if (Parse(body) is not { } report)
        {
            return Problems.Invalid("The location report has invalid fields.", "report",
                "latitude -90..90, longitude -180..180, accuracy 0..100000 metres, source gps|wifi, positioning on|off, time (ISO 8601).");
        }

        var result = await intake.RecordAsync(subjectId, report, $"subject:{subjectId}", cancellationToken);
        return result.Refusal switch
        {
            LocationRefusal.None => TypedResults.Created($"/api/v1/me/locations/{result.PointId}", new LocationStored(result.PointId!.Value)),
            LocationRefusal.NotConsented => TypedResults.Problem(
                "Location-based services (functional.location) are not consented; nothing was stored.",
                statusCode: StatusCodes.Status403Forbidden, title: "Location not consented", type: LocationNotConsented),
            LocationRefusal.PositioningOff => TypedResults.Problem(
                "Positioning is off on the device; no position is stored until a report says it is on again.",
                statusCode: StatusCodes.Status409Conflict, title: "Positioning is off", type: PositioningOff),
            LocationRefusal.ServiceCeasing => Problems.Ceasing("The end of the service is announced: no location is collected any more; nothing was stored."),
            _ => Problems.Invalid("The location report has invalid fields.", result.Detail ?? "report",
                "A value in range; the time no later than 5 minutes ahead and no older than 90 days (the retention)."),
        };
    }

    private static async Task<Results<Ok<LocationsResponse>, NotFound>> ReadAsync(
        string purpose, ClaimsPrincipal user, LocationIntake intake, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        var read = await intake.ReadAsync(subjectId, purpose, $"subject:{subjectId}", cancellationToken);
        return TypedResults.Ok(new LocationsResponse(purpose, read.Decision.Allowed, read.Decision.Reason.ToString(), read.Decision.Clause,
            [.. read.Points.Select(p => new LocationPointView(p.RecordedAt, p.Latitude, p.Longitude, p.CityLevel))]));
    }

    private static LocationReport? Parse(LocationBody body)
    {
        LocationSource? source = body.Source switch
        {
            "gps" => LocationSource.Gps,
            "wifi" => LocationSource.Wifi,
            _ => null,
        };
        bool? on = body.Positioning switch
        {
            "on" => true,
            "off" => false,
            _ => null,
        };
        return body is { Latitude: { } latitude, Longitude: { } longitude, Accuracy: { } accuracy, Time: { } at } && source is { } s && on is { } o
            ? new LocationReport(latitude, longitude, accuracy, s, o, at)
            : null;
    }
}
