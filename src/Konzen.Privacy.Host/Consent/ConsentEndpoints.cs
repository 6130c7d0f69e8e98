using System.Security.Claims;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Host.Subjects;
using Konzen.Privacy.Policy;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Consent;

/// <summary>The subject's choice for one optional purpose.</summary>
internal sealed record PurposeConsent(string Purpose, string Name, string Clause, bool Granted);

/// <summary><see cref="Granted"/>: true to give consent, false to withdraw it.</summary>
internal sealed record ConsentBody(bool? Granted);

/// <summary>A recorded change and its signed receipt (a JWS that <c>/.well-known/jwks.json</c> verifies).</summary>
internal sealed record ConsentRecorded(string Purpose, bool Granted, Guid ReceiptId, string Receipt);

internal sealed record ConsentHistoryEntry(string Purpose, bool Granted, ConsentMethod Method, DateTimeOffset At, string PolicyHash, Guid ReceiptId, string Receipt);

/// <summary>The purpose gate's answer for the signed-in subject.</summary>
internal sealed record DecisionResponse(string Purpose, string Category, bool Allowed, string Reason, string Clause, string PolicyVersion);

/// <summary>
/// Consent for people and the gate for the site's code: the public receipt keys, the signed-in
/// subject's consents (read, give, withdraw, history) and "may this purpose use this category of mine now?".
/// </summary>
internal static class ConsentEndpoints
{
    public static RouteGroupBuilder MapConsentEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(string.Empty).WithTags("Consent");
        group.MapGet("/.well-known/jwks.json", (ReceiptSigner signer) => TypedResults.Ok(signer.Jwks()))
            .WithSummary("The public keys (JWK set, ES256) that verify every consent receipt this service signs.");

        var me = group.MapGroup("/api/v1/me").RequireAuthorization(SubjectsEndpoints.SubjectPolicy);
        me.MapGet("/consents", ListAsync)
            .WithSummary("Every optional purpose with the signed-in subject's current choice; all start withdrawn.");
        me.MapPut("/consents/{purpose}", RecordAsync)
            .WithSummary("Gives (granted: true) or withdraws (granted: false) consent to one optional purpose; answers with the signed receipt.");
        me.MapGet("/consents/history", HistoryAsync)
            .WithSummary("Every consent change of the signed-in subject, oldest first, with its receipt.");
        me.MapGet("/decisions", DecideAsync)
            .WithSummary("The purpose gate's decision: may this purpose use this category of the signed-in subject's data now?");
        return group;
    }

    private static async Task<Results<Ok<IReadOnlyList<PurposeConsent>>, NotFound>> ListAsync(
        ClaimsPrincipal user, ConsentLedger ledger, CompiledPolicy policy, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        var state = await ledger.GetStateAsync(subjectId, cancellationToken);

        // A minor is not offered what the policy excludes for minors (S8.1): it could never be turned on.
        var minor = (state.Traits & (SubjectTraits.Minor | SubjectTraits.Child)) != 0;
        IReadOnlyList<PurposeConsent> consents = [.. policy.Purposes
            .Where(p => p.Optional && !(minor && policy.Document.Minors.ExcludedPurposes.Contains(p.Key, StringComparer.Ordinal)))
            .Select(p => new PurposeConsent(p.Key, p.Name.En, p.Clause, state.Consents.Contains(policy.Purpose(p.Key))))];
        return TypedResults.Ok(consents);
    }

    private static async Task<Results<Ok<ConsentRecorded>, ProblemHttpResult, NotFound>> RecordAsync(
        string purpose, ConsentBody body, ClaimsPrincipal user, HttpContext context, ConsentLedger ledger, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        if (body.Granted is not { } granted)
        {
            return Problems.Invalid("The consent change has invalid fields.", "granted", "Expected true (give consent) or false (withdraw it).");
        }

        // Pages sign in with the cookie, apps with the bearer token: that is how the choice was collected.
        var method = user.Identity?.AuthenticationType == CookieAuthenticationDefaults.AuthenticationScheme ? ConsentMethod.Web : ConsentMethod.App;
        var evidence = new ConsentEvidence(context.Connection.RemoteIpAddress?.ToString(), context.Request.Headers.UserAgent.ToString());
        var change = await ledger.RecordAsync(subjectId, purpose, granted, method, evidence, $"subject:{subjectId}", cancellationToken);
        return change.Refusal switch
        {
            ConsentRefusal.None => TypedResults.Ok(new ConsentRecorded(purpose, granted, change.Receipt!.ReceiptId, change.Receipt.Jws)),
            ConsentRefusal.UnknownSubject or ConsentRefusal.UnknownMethod => TypedResults.NotFound(),
            var refusal => Refused(refusal, purpose),
        };
    }

    /// <summary>The problem for a consent change the ledger refused (other than an unknown subject), for the subject's and the guardian's endpoints alike.</summary>
    public static ProblemHttpResult Refused(ConsentRefusal refusal, string purpose) => refusal switch
    {
        ConsentRefusal.UndeclaredPurpose => TypedResults.Problem(
            $"The policy declares no purpose '{purpose}'; GET /api/v1/me/consents lists the purposes you can choose.",
            statusCode: StatusCodes.Status404NotFound, title: "Unknown purpose", type: Problems.UnknownPurpose),
        ConsentRefusal.NotOptional => TypedResults.Problem(
            $"'{purpose}' is necessary for the service and is not based on consent, so it cannot be given or withdrawn.",
            statusCode: StatusCodes.Status409Conflict, title: "Purpose is not optional", type: Problems.PurposeNotOptional),
        ConsentRefusal.MinorRestricted => TypedResults.Problem(
            $"'{purpose}' is not available to anyone under 18 (S8.1): no consent, the account holder's or a guardian's, can turn it on.",
            statusCode: StatusCodes.Status403Forbidden, title: "Not available to minors", type: Problems.MinorRestricted),
        ConsentRefusal.GuardianConsentRequired => TypedResults.Problem(
            $"For an account holder under 18, consent to '{purpose}' is given by the verified guardian (S8.1); withdrawing is always possible.",
            statusCode: StatusCodes.Status403Forbidden, title: "Guardian consent required", type: Problems.GuardianConsentRequired),
        _ => TypedResults.Problem("The consent change was refused.", statusCode: StatusCodes.Status404NotFound),
    };

    private static async Task<Results<Ok<IReadOnlyList<ConsentHistoryEntry>>, NotFound>> HistoryAsync(
        ClaimsPrincipal user, ConsentLedger ledger, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        var events = await ledger.GetHistoryAsync(subjectId, cancellationToken);
        IReadOnlyList<ConsentHistoryEntry> history = [.. events.Select(e =>
            new ConsentHistoryEntry(e.PurposeKey, e.Granted, e.Method, e.At, e.PolicyHash, e.ReceiptId, e.Receipt))];
        return TypedResults.Ok(history);
    }

    private static async Task<Results<Ok<DecisionResponse>, NotFound>> DecideAsync(
        string purpose, string category, ClaimsPrincipal user, ConsentLedger ledger, CompiledPolicy policy, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        // Unknown keys resolve to Undeclared ids, which the gate denies (NotDeclared): deny by default.
        var decision = await ledger.DecideAsync(subjectId, policy.Category(category), policy.Purpose(purpose), cancellationToken);
        return TypedResults.Ok(new DecisionResponse(purpose, category, decision.Allowed, decision.Reason.ToString(), decision.Clause, decision.PolicyVersion));
    }
}
