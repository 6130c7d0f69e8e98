using System.Text.Encodings.Web;
using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Host.Home;

/// <summary>The front page: what this service is, and where the policy is; and the demo of the client SDK.</summary>
internal static class HomeEndpoints
{
    public static IEndpointRouteBuilder MapHomeEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", async (CompiledPolicy policy, Privacy.Cessation.ServiceCessation cessation, CancellationToken cancellationToken) =>
                TypedResults.Content(Page(policy.Document, await cessation.CurrentAsync(cancellationToken)), "text/html; charset=utf-8"))
            .ExcludeFromDescription();

        // The demo of the client SDK: a static page from wwwroot, at a short address people can type.
        app.MapGet("/demo", (IWebHostEnvironment environment) =>
                environment.WebRootFileProvider.GetFileInfo("demo/index.html") is { Exists: true } page
                    ? Results.Stream(page.CreateReadStream(), "text/html; charset=utf-8")
                    : Results.NotFound())
            .ExcludeFromDescription();
        return app;
    }

    private static string Page(PolicyDocument policy, Privacy.Cessation.CessationState? cessation)
    {
        // The banner of an announced end (S2.5), the same data as GET /api/v1/service.
        var banner = cessation is null ? string.Empty : string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"<p role=\"alert\" id=\"service-cessation\"><strong>This service ends on {cessation.CeaseAt:yyyy-MM-dd}.</strong> No new accounts are opened and no optional information is collected. Everything held about you is deleted by {cessation.DeletionDueAt:yyyy-MM-dd}. <span lang=\"zh-CN\">本服务将于 {cessation.CeaseAt:yyyy-MM-dd} 停止。</span></p>");
        var controller = HtmlEncoder.Default.Encode(policy.Controller.Name.En);
        var service = HtmlEncoder.Default.Encode(policy.Controller.Service.En);
        var version = HtmlEncoder.Default.Encode(policy.Version.Number);
        return $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Konzen Privacy</title>
            <style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;line-height:1.5}</style>
            </head>
            <body>
            {{banner}}
            <h1>Konzen Privacy</h1>
            <p>Konzen Privacy is the system that keeps the promises of the privacy policy of the {{controller}} {{service}}:
            every use of personal information passes one purpose gate that answers from the same policy data the text below is rendered from.</p>
            <ul>
            <li><a href="/policy">Privacy policy</a> (version {{version}}) · <a href="/policy?lang=zh-CN" lang="zh-CN">隐私政策</a></li>
            <li><a href="/policy.md">The policy as Markdown</a></li>
            <li><a href="/api/v1/policy">The policy as data (JSON)</a></li>
            <li><a href="/demo">Demo: the Konzen domain search with the consent banner and event sender</a> (client SDK at <a href="/sdk/konzen.js">/sdk/konzen.js</a>)</li>
            <li><a href="/openapi/v1.json">API description (OpenAPI)</a></li>
            </ul>
            </body>
            </html>
            """;
    }
}
