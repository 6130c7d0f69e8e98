using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Konzen.Privacy.Host.Tests.Home;

public sealed class HomeEndpointsTests(KonzenFactory factory) : IClassFixture<KonzenFactory>
{
    [Fact]
    [Trait("Clause", "S0.1")]
    public async Task GetRoot_SaysWhatTheServiceIsAndLinksToThePolicy()
    {
        var html = await factory.CreateClient().GetStringAsync("/", TestContext.Current.CancellationToken);

        Assert.Contains("Konzen Privacy", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/policy\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/policy?lang=zh-CN\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetHealthz_Running_IsHealthy()
    {
        var text = await factory.CreateClient().GetStringAsync("/healthz", TestContext.Current.CancellationToken);

        Assert.Equal("Healthy", text);
    }

    [Fact]
    public async Task GetOpenApi_Running_DescribesEveryPolicyEndpoint()
    {
        var document = await factory.CreateClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json", TestContext.Current.CancellationToken);

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/policy", paths);
        Assert.Contains("/policy.md", paths);
        Assert.Contains("/api/v1/policy", paths);
    }

    [Fact]
    public async Task GetUnknownPath_IsProblemDetails()
    {
        var response = await factory.CreateClient().GetAsync("/no-such-page", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
