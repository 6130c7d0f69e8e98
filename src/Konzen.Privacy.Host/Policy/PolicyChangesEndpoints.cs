using System.Security.Claims;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Host.Subjects;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Policy.Versions;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Policy;

/// <summary>One change between two versions, as the API shows it.</summary>
internal sealed record PolicyChangeView(
    PolicyChangeArea Area, PolicyChangeKind Kind, string Key, LocalizedText What, bool Material, MaterialChange? Because, LocalizedText Reason, IReadOnlyList<string> NeedsConsent);

/// <summary>One published version: <c>status</c> is <c>pending</c>, <c>in-force</c> or <c>past</c>.</summary>
internal sealed record PolicyVersionView(
    int Sequence, string Version, string ContentHash, DateTimeOffset EffectiveAt, DateTimeOffset? PublishedAt, string Status, bool Material, IReadOnlyList<PolicyChangeView> Changes);

/// <summary>Every version, newest first, and the one in force.</summary>
internal sealed record PolicyChangesResponse(string InForce, DateTimeOffset Now, IReadOnlyList<PolicyVersionView> Versions);

/// <summary>
/// Policy changes (S7.1, S7.2): the readable list of changes (<c>/policy/changes</c>, both languages),
/// the same as data (<c>/api/v1/policy/changes</c>), and for the signed-in subject what the site must
/// show them (<c>/api/v1/me/policy</c>). A subject's first authenticated request after a version took
/// effect records that version as accepted by continued use (<see cref="UsePolicyAcceptance"/>).
/// </summary>
internal static class PolicyChangesEndpoints
{
    public static IEndpointRouteBuilder MapPolicyChangesEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup(string.Empty).WithTags("Policy")
            .MapGet("/policy/changes", Page)
            .WithSummary("The policy's pending and past changes as a readable page, each marked as needing consent or notice only.");
        app.MapGroup("/api/v1/policy").WithTags("Policy")
            .MapGet("/changes", (PolicyVersions versions, TimeProvider time) => TypedResults.Ok(Changes(versions, time.GetUtcNow())))
            .WithSummary("Every published version with its effective date and its changes from the version before, classified material or not.");
        app.MapGroup("/api/v1/me").WithTags("Policy").RequireAuthorization(SubjectsEndpoints.SubjectPolicy)
            .MapGet("/policy", StatusAsync)
            .WithSummary("What the site must show the signed-in subject: the version in force, when they accepted it, what changed and what new needs their consent.");
        return app;
    }

    /// <summary>
    /// Records the version in force as accepted by the signed-in subject's continued use, once, before
    /// the request runs (so <c>/api/v1/me/policy</c> already reports it), and tells a subject who
    /// registered after a pending version was published of it. Place after authorization.
    /// </summary>
    public static IApplicationBuilder UsePolicyAcceptance(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.User.Identity?.IsAuthenticated == true && SubjectsEndpoints.SubjectIdOf(context.User) is { } subjectId)
        {
            var method = context.User.Identity.AuthenticationType == CookieAuthenticationDefaults.AuthenticationScheme ? ConsentMethod.Web : ConsentMethod.App;
            var acceptances = context.RequestServices.GetRequiredService<PolicyAcceptances>();
            await acceptances.RecordUseAsync(subjectId, method, context.RequestAborted);
            await acceptances.TellOfPendingAsync(subjectId, context.RequestAborted);
        }

        await next(context);
    });

    private static Results<ContentHttpResult, ProblemHttpResult> Page(string? lang, HttpContext context, PolicyVersions versions, TimeProvider time)
    {
        var language = PolicyLanguage.En;
        if (lang is not null && !PolicyLanguages.TryParse(lang, out language))
        {
            return Problems.BadRequest(Problems.UnknownLanguage, "Unknown language",
                $"The policy is not published in '{lang}'; expected lang=en or lang=zh-CN.");
        }

        context.Response.Headers.ContentLanguage = language.Tag();
        return TypedResults.Content(PolicyChangesPage.Html(versions.All, time.GetUtcNow(), language), "text/html; charset=utf-8");
    }

    private static PolicyChangesResponse Changes(PolicyVersions versions, DateTimeOffset now)
    {
        var inForce = versions.InForceAt(now);
        IReadOnlyList<PolicyVersionView> list = [.. versions.All.Reverse().Select(r => new PolicyVersionView(
            r.Sequence, r.Number, r.ContentHash, r.EffectiveAt, r.PublishedAt,
            r == inForce ? "in-force" : r.EffectiveAt > now ? "pending" : "past",
            r.Material,
            [.. r.Changes.Select(c => new PolicyChangeView(c.Area, c.Kind, c.Key, c.What, c.Material, c.Because, c.Reason, c.NeedsConsent))]))];
        return new PolicyChangesResponse(inForce.Number, now, list);
    }

    private static async Task<Results<Ok<PolicyStatus>, NotFound>> StatusAsync(ClaimsPrincipal user, PolicyAcceptances acceptances, CancellationToken cancellationToken) =>
        SubjectsEndpoints.SubjectIdOf(user) is { } subjectId && await acceptances.StatusAsync(subjectId, cancellationToken) is { } status
            ? TypedResults.Ok(status)
            : TypedResults.NotFound();
}
