using Konzen.Privacy.Controller;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Controller;

/// <summary>One transfer as anyone may read it; who recorded it stays in the audit log.</summary>
internal sealed record TransferView(string From, string To, DateTimeOffset EffectiveAt, DateTimeOffset RecordedAt, string PolicyVersion, string PolicyHash);

/// <summary>
/// The controller now, the policy that binds it (version and content hash), a transfer recorded to
/// take effect later (null when none) and every transfer, oldest first.
/// </summary>
internal sealed record ControllerView(string Name, DateTimeOffset? Since, string PolicyVersion, string PolicyHash, TransferView? Upcoming, IReadOnlyList<TransferView> Transfers);

/// <summary>Who is responsible for the personal information now (S5.5): public, like the policy itself.</summary>
internal static class ControllerEndpoints
{
    public static RouteHandlerBuilder MapControllerEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/controller", CurrentAsync)
            .WithTags("Controller")
            .AllowAnonymous()
            .WithSummary("The current controller, the policy it is bound to (the same content hash as /api/v1/policy) and the transfer history.");

    private static async Task<Ok<ControllerView>> CurrentAsync(ControllerTransfers transfers, CancellationToken cancellationToken)
    {
        var current = await transfers.CurrentAsync(cancellationToken);
        return TypedResults.Ok(new ControllerView(current.Name, current.Since, current.PolicyVersion, current.PolicyHash,
            current.Upcoming is { } upcoming ? View(upcoming) : null, [.. current.Transfers.Select(View)]));
    }

    private static TransferView View(ControllerTransfer t) => new(t.From, t.To, t.EffectiveAt, t.RecordedAt, t.PolicyVersion, t.PolicyHash);
}
