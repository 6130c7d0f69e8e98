using System.Text.Json.Serialization;
using Konzen.Privacy.Host.Collection;
using Konzen.Privacy.Host.Consent;
using Konzen.Privacy.Sharing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Sharing;

/// <summary>
/// The ad decision as the site's ad serving reads it: <c>{"mode":"generic"}</c>, or
/// <c>{"mode":"personalized","segments":[…]}</c>. It says nothing of why (a "minor" reason would tell
/// the caller the person's age group).
/// </summary>
internal sealed record AdDecisionView(
    string Mode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Segments);

/// <summary>Personalized or generic advertising for the request's actor (S4.5).</summary>
internal static class AdEndpoints
{
    public static RouteHandlerBuilder MapAdEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/ads/decision", DecideAsync)
            .WithTags("Sharing")
            .AllowAnonymous()
            .WithSummary("Personalized segments only when the signed-in subject or the konzen.visitor visitor consented to personalized advertising, the request has no Sec-GPC: 1 and the subject is an adult; generic otherwise.");

    private static async Task<Ok<AdDecisionView>> DecideAsync(HttpContext context, AdDecisions decisions, CancellationToken cancellationToken)
    {
        var actor = await EventsEndpoints.ActorAsync(context);
        var decision = await decisions.DecideAsync(actor, VisitorCookie.GpcOn(context.Request), cancellationToken);

        // The answer depends on who asks and on consent that may change at any moment: no cache may keep it.
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Vary = "Cookie, Authorization, Sec-GPC";
        return TypedResults.Ok(decision.Mode == AdMode.Personalized
            ? new AdDecisionView("personalized", decision.Segments)
            : new AdDecisionView("generic", null));
    }
}
