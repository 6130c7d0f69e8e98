using System.Net;

namespace Konzen.Privacy.Host.Tests.Subjects;

/// <summary>The guardian page as served: the address the guardian's message links to, and how it is protected.</summary>
public sealed class GuardianPageTests(KonzenFactory factory) : IClassFixture<KonzenFactory>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetGuardian_IsThePageOfTheLinkNeverCachedAndRunningOnlyItsOwnScript()
    {
        using var response = await factory.CreateClient().GetAsync("/guardian?lang=zh-CN", Cancel);
        var html = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script src=\"/guardian/guardian.js\"></script>", html, StringComparison.Ordinal);
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self';", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetGuardianScript_KeepsNothingInTheBrowser()
    {
        var script = await factory.CreateClient().GetStringAsync("/guardian/guardian.js", Cancel);

        // The token lives in the script's closure only: nothing that outlives the page.
        Assert.DoesNotContain("document.cookie", script, StringComparison.Ordinal);
        Assert.DoesNotContain("localStorage", script, StringComparison.Ordinal);
        Assert.DoesNotContain("sessionStorage", script, StringComparison.Ordinal);
        Assert.DoesNotContain("indexedDB", script, StringComparison.Ordinal);
        Assert.Contains("credentials: 'omit'", script, StringComparison.Ordinal);
    }
}
