using Konzen.Privacy.Policy;
using Konzen.Privacy.Policy.Rendering;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Policy;

/// <summary>The policy for people (<c>/policy</c>, <c>/policy.md</c>) and for programs (<c>/api/v1/policy</c>).</summary>
internal static class PolicyEndpoints
{
    public static IEndpointRouteBuilder MapPolicyEndpoints(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup(string.Empty).WithTags("Policy");
        pages.MapGet("/policy", (string? lang, HttpContext context, CompiledPolicy policy, RenderedPolicies rendered) =>
                Render(lang, PolicyFormat.Html, "text/html; charset=utf-8", context, policy, rendered))
            .WithSummary("The privacy policy as an HTML page, rendered from the policy data.");
        pages.MapGet("/policy.md", (string? lang, HttpContext context, CompiledPolicy policy, RenderedPolicies rendered) =>
                Render(lang, PolicyFormat.Markdown, "text/markdown; charset=utf-8", context, policy, rendered))
            .WithSummary("The privacy policy as Markdown, rendered from the policy data.");

        app.MapGroup("/api/v1/policy").WithTags("Policy")
            .MapGet("/", (CompiledPolicy policy) => TypedResults.Ok(policy.Document))
            .WithSummary("The policy in force as data: categories, purposes and their bases, retention, recipients, rights.");
        return app;
    }

    private static Results<ContentHttpResult, ProblemHttpResult> Render(
        string? lang, PolicyFormat format, string contentType, HttpContext context, CompiledPolicy policy, RenderedPolicies rendered)
    {
        var language = PolicyLanguage.En;
        if (lang is not null && !PolicyLanguages.TryParse(lang, out language))
        {
            return Problems.BadRequest(Problems.UnknownLanguage, "Unknown language",
                $"The policy is not published in '{lang}'; expected lang=en or lang=zh-CN.");
        }

        context.Response.Headers.ContentLanguage = language.Tag();
        return TypedResults.Content(rendered.Get(policy, format, language), contentType);
    }
}
