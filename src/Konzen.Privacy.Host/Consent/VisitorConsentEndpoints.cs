using System.Globalization;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Consent;

/// <summary>
/// One optional purpose as the consent banner shows it. <see cref="GpcRefuses"/> says whether the
/// Global Privacy Control signal refuses it (whether or not this request carried the signal), so
/// that a banner can show the refusal its browser asked for.
/// </summary>
internal sealed record VisitorPurpose(string Purpose, LocalizedText Name, LocalizedText Description, string Clause, bool Granted, bool GpcRefuses);

/// <summary>The visitor's consents: whether the visitor has chosen, whether the request carries GPC, each optional purpose.</summary>
internal sealed record VisitorConsents(bool Chosen, bool Gpc, IReadOnlyList<VisitorPurpose> Purposes);

/// <summary>A complete choice: every optional purpose not named is refused.</summary>
internal sealed record VisitorChoiceBody(Dictionary<string, bool>? Choices);

/// <summary>The site's Global Privacy Control support resource (<c>/.well-known/gpc.json</c>).</summary>
internal sealed record GpcSupport(bool Gpc, string LastUpdate);

/// <summary>
/// Consent for anonymous visitors, as the consent banner asks for it: the choices so far (nothing
/// is set or stored for reading them) and a choice, which creates the visitor's consent record and
/// the first-party cookie keying it. The Global Privacy Control signal refuses the purposes it
/// covers whatever the choice says, and the site says it honours the signal at <c>/.well-known/gpc.json</c>.
/// </summary>
internal static class VisitorConsentEndpoints
{
    public static RouteGroupBuilder MapVisitorConsentEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(string.Empty).WithTags("Visitor consent");
        group.MapGet("/.well-known/gpc.json", (CompiledPolicy policy) =>
                TypedResults.Ok(new GpcSupport(true, policy.Version.Effective.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))))
            .WithSummary("Says that this site honours the Global Privacy Control signal (Sec-GPC: 1).");
        group.MapGet("/api/v1/visitor/consents", GetAsync)
            .WithSummary("The anonymous visitor's choices (none until the visitor chose) for every optional purpose, with names and descriptions in English and Chinese.");
        group.MapPut("/api/v1/visitor/consents", PutAsync)
            .WithSummary("Records the visitor's complete choice (purposes not named are refused; with Sec-GPC: 1 the purposes GPC covers are refused) and sets the visitor cookie.");
        return group;
    }

    private static async Task<Ok<VisitorConsents>> GetAsync(
        HttpContext context, ConsentLedger ledger, CompiledPolicy policy, GlobalPrivacyControl gpc, CancellationToken cancellationToken)
    {
        var gpcOn = VisitorCookie.GpcOn(context.Request);
        var state = default(SubjectState);
        var chosen = false;
        if (VisitorCookie.Read(context.Request) is { } visitorId && await ledger.IsVisitorAsync(visitorId, cancellationToken))
        {
            chosen = true;
            state = await ledger.GetStateAsync(visitorId, cancellationToken);
        }

        return TypedResults.Ok(Answer(context, policy, gpc, chosen, gpcOn, gpcOn ? gpc.Apply(state) : state));
    }

    private static async Task<Results<Ok<VisitorConsents>, ProblemHttpResult>> PutAsync(
        VisitorChoiceBody body, HttpContext context, ConsentLedger ledger, CompiledPolicy policy, GlobalPrivacyControl gpc, CancellationToken cancellationToken)
    {
        if (body.Choices is not { } choices)
        {
            return Problems.Invalid("The choice has invalid fields.", "choices", "An object of optional purpose keys, each true or false.");
        }

        var gpcOn = VisitorCookie.GpcOn(context.Request);
        var evidence = new ConsentEvidence(context.Connection.RemoteIpAddress?.ToString(), context.Request.Headers.UserAgent.ToString());
        var choice = await ledger.RecordVisitorChoiceAsync(
            VisitorCookie.Read(context.Request), choices, gpcOn ? gpc.Refused : ConsentSet.None, evidence, cancellationToken);
        if (!choice.Recorded)
        {
            // The key is not echoed: a client can put anything in it, personal data included.
            var expected = choice.Refusal == ConsentRefusal.NotOptional
                ? "A purpose that is necessary for the service is not chosen; name only the optional purposes GET /api/v1/visitor/consents lists."
                : "One of the optional purposes GET /api/v1/visitor/consents lists.";
            return Problems.Invalid("The choice names a purpose that cannot be chosen; nothing was recorded.", "choices", expected);
        }

        VisitorCookie.Write(context.Response, choice.VisitorId);
        var state = await ledger.GetStateAsync(choice.VisitorId, cancellationToken);
        return TypedResults.Ok(Answer(context, policy, gpc, chosen: true, gpcOn, state));
    }

    private static VisitorConsents Answer(HttpContext context, CompiledPolicy policy, GlobalPrivacyControl gpc, bool chosen, bool gpcOn, SubjectState state)
    {
        // The answer is this visitor's alone: no shared cache may keep it.
        context.Response.Headers.CacheControl = "no-store";
        return new VisitorConsents(chosen, gpcOn, [.. policy.Purposes.Where(p => p.Optional).Select(p =>
        {
            var id = policy.Purpose(p.Key);
            return new VisitorPurpose(p.Key, p.Name, p.Description, p.Clause, state.Consents.Contains(id), gpc.Refused.Contains(id));
        })]);
    }
}
