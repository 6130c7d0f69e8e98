using System.Net;

namespace Konzen.Privacy.Host.Tests.Home;

/// <summary>The demo page and the client SDK are served as plain files, linked from the front page.</summary>
public sealed class DemoPageTests(KonzenFactory factory) : IClassFixture<KonzenFactory>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetRoot_LinksToTheDemoAndTheSdk()
    {
        var html = await factory.CreateClient().GetStringAsync("/", Cancel);

        Assert.Contains("href=\"/demo\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/sdk/konzen.js\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetDemo_IsTheDomainSearchPageLoadingTheSdk()
    {
        using var response = await factory.CreateClient().GetAsync("/demo", Cancel);
        var html = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script src=\"/sdk/konzen.js\"></script>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"privacy-choices\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetSdk_IsSmallPlainJavaScriptWithoutDependencies()
    {
        using var response = await factory.CreateClient().GetAsync("/sdk/konzen.js", Cancel);
        var script = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.InRange(script.Length, 1, 12 * 1024);
        Assert.DoesNotContain("import ", script, StringComparison.Ordinal);
        Assert.DoesNotContain("require(", script, StringComparison.Ordinal);

        // No cookie is written by the SDK itself: the visitor cookie is the server's (HttpOnly) answer to a choice.
        Assert.DoesNotContain("document.cookie", script, StringComparison.Ordinal);
        Assert.DoesNotContain("sessionStorage", script, StringComparison.Ordinal);
        Assert.DoesNotContain("indexedDB", script, StringComparison.Ordinal);
    }
}
