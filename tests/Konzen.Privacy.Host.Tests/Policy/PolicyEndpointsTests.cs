using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Konzen.Privacy.Host.Tests.Policy;

public sealed class PolicyEndpointsTests(KonzenFactory factory) : IClassFixture<KonzenFactory>
{
    private static readonly string[] SectionAnchors =
        ["introduction", "section-1", "section-2", "section-3", "section-4", "section-5", "section-6", "section-7", "section-8"];

    [Theory]
    [InlineData("/policy", "en", "Information We Collect")]
    [InlineData("/policy?lang=en", "en", "Protection of Minors")]
    [InlineData("/policy?lang=zh-CN", "zh-CN", "未成年人")]
    [Trait("Clause", "S0.1")]
    public async Task GetPolicy_InEitherLanguage_ShowsIntroductionAndAllEightSections(string url, string language, string heading)
    {
        var response = await factory.CreateClient().GetAsync(url, TestContext.Current.CancellationToken);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(language, Assert.Single(response.Content.Headers.ContentLanguage));
        Assert.Contains($"<html lang=\"{language}\"", html, StringComparison.Ordinal);
        Assert.Contains(heading, html, StringComparison.Ordinal);
        Assert.All(SectionAnchors, anchor => Assert.Contains($"id=\"{anchor}\"", html, StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public async Task GetPolicyMarkdown_Default_IsMarkdownWithAllSections()
    {
        var response = await factory.CreateClient().GetAsync("/policy.md", TestContext.Current.CancellationToken);
        var markdown = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/markdown", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("# ", markdown, StringComparison.Ordinal);
        Assert.All(SectionAnchors, anchor => Assert.Contains(anchor, markdown, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/policy?lang=fr")]
    [InlineData("/policy.md?lang=zh-TW")]
    public async Task GetPolicy_UnknownLanguage_IsProblemNamingTheSupportedOnes(string url)
    {
        var response = await factory.CreateClient().GetAsync(url, TestContext.Current.CancellationToken);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("urn:konzen:problem:unknown-language", problem.GetProperty("type").GetString());
        Assert.Contains("expected lang=en or lang=zh-CN", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    [Trait("Clause", "S4.9")]
    public async Task GetPolicyData_Default_ListsEveryPurposeWithItsBasisAndEveryCategoryWithItsRetention()
    {
        var policy = await factory.CreateClient().GetFromJsonAsync<JsonElement>("/api/v1/policy", TestContext.Current.CancellationToken);

        var purposes = policy.GetProperty("purposes").EnumerateArray()
            .ToDictionary(p => p.GetProperty("key").GetString()!, p => p.GetProperty("basis").GetString());
        Assert.Equal("necessary", purposes["essential.service"]);
        Assert.Equal("consent", purposes["marketing.advertising.profiling"]);
        Assert.Equal("legal-obligation", purposes["essential.service.operations.backup"]);
        var retention = policy.GetProperty("categories").EnumerateArray()
            .ToDictionary(c => c.GetProperty("key").GetString()!, c => c.GetProperty("retention").GetString());
        Assert.Equal("P90D", retention["user.location.precise"]);
        Assert.Equal("until-account-cancellation", retention["user.contact.email"]);
        Assert.Equal(15, policy.GetProperty("rights").GetProperty("responseWorkingDays").GetInt32());
        Assert.Matches("^[0-9a-f]{64}$", policy.GetProperty("version").GetProperty("contentHash").GetString());
    }
}
