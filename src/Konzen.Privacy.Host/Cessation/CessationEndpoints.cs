using Konzen.Privacy.Cessation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Cessation;

/// <summary>
/// The service's state as the site's pages show it: <see cref="Ceasing"/> with the day it stops and the
/// deletion deadline once the end is announced (the privacy center shows it as a banner).
/// </summary>
internal sealed record ServiceView(bool Ceasing, DateTimeOffset? AnnouncedAt, DateTimeOffset? CeasesAt, DateTimeOffset? DeletionDueAt, bool Ceased);

/// <summary><c>GET /api/v1/service</c>: whether the end of the service is announced (S2.5); public, like the policy.</summary>
internal static class CessationEndpoints
{
    public static RouteHandlerBuilder MapCessationEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/service", StateAsync)
            .WithTags("Cessation")
            .AllowAnonymous()
            .WithSummary("Whether the end of the service is announced, the day it stops and the day everything is deleted by (the privacy center's banner).");

    private static async Task<Ok<ServiceView>> StateAsync(ServiceCessation cessation, CancellationToken cancellationToken) =>
        TypedResults.Ok(await cessation.CurrentAsync(cancellationToken) is { } s
            ? new ServiceView(true, s.AnnouncedAt, s.CeaseAt, s.DeletionDueAt, s.CompletedAt is not null)
            : new ServiceView(false, null, null, null, false));
}
