using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Host.Tests.Consent;

/// <summary>The consent banner's API for anonymous visitors, and the Global Privacy Control signal.</summary>
public sealed class VisitorConsentApiTests
{
    private const string Url = "/api/v1/visitor/consents";
    private const string Analytics = "analytics.reporting";
    private const string Advertising = "marketing.advertising.profiling";
    private const string AdMeasurement = "analytics.reporting.ad_performance";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Clause", "S1.6")]
    public async Task GetConsents_BeforeAChoice_ListsEveryOptionalPurposeRefusedAndSetsNoCookie()
    {
        await using var host = await SubjectsHost.StartAsync(DatabaseProvider.Sqlite, Cancel);
        var before = await host.DumpAsync(Cancel);

        using var response = await host.Client().GetAsync(Url, Cancel);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.False(answer.GetProperty("chosen").GetBoolean());
        Assert.False(answer.GetProperty("gpc").GetBoolean());
        var purposes = answer.GetProperty("purposes").EnumerateArray().ToList();
        Assert.Equal(7, purposes.Count);
        Assert.All(purposes, p => Assert.False(p.GetProperty("granted").GetBoolean()));
        var analytics = purposes.Single(p => p.GetProperty("purpose").GetString() == Analytics);
        Assert.Equal("usage analytics", analytics.GetProperty("name").GetProperty("en").GetString());
        Assert.Equal("使用情况分析", analytics.GetProperty("name").GetProperty("zh-CN").GetString());
        Assert.False(string.IsNullOrEmpty(analytics.GetProperty("description").GetProperty("zh-CN").GetString()));
        Assert.Equal("S4.4", analytics.GetProperty("clause").GetString());
        Assert.Equal(
            [AdMeasurement, Advertising],
            purposes.Where(p => p.GetProperty("gpcRefuses").GetBoolean()).Select(p => p.GetProperty("purpose").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.6")]
    public async Task PutConsents_FirstThenLaterChoice_SetsTheCookieRecordsEveryPurposeThenOnlyTheChange(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var browser = host.Client();

        using var first = await browser.PutAsJsonAsync(Url, new { choices = new Dictionary<string, bool> { [Analytics] = true, [Advertising] = true } }, Cancel);
        var firstAnswer = await first.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        var cookie = Assert.Single(first.Headers.GetValues("Set-Cookie"));
        var afterFirst = await EventsAsync(host);
        using var later = await browser.PutAsJsonAsync(Url, new { choices = new Dictionary<string, bool> { [Advertising] = true } }, Cancel);
        var read = await browser.GetFromJsonAsync<JsonElement>(Url, Cancel);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.StartsWith("konzen.visitor=", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        var visitorId = Guid.ParseExact(cookie["konzen.visitor=".Length..cookie.IndexOf(';', StringComparison.Ordinal)], "N");
        Assert.True(firstAnswer.GetProperty("chosen").GetBoolean());
        Assert.Equal([Analytics, Advertising], Granted(firstAnswer));
        Assert.Equal(7, afterFirst.Count);
        Assert.All(afterFirst, e => Assert.Equal(visitorId, e.SubjectId));
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        var afterLater = await EventsAsync(host);
        Assert.Equal(8, afterLater.Count);
        Assert.Equal((Analytics, false), (afterLater[^1].PurposeKey, afterLater[^1].Granted));
        Assert.True(read.GetProperty("chosen").GetBoolean());
        Assert.Equal([Advertising], Granted(read));
        await using var db = host.Store.NewDataContext();
        var visitor = await db.Set<Visitor>().SingleAsync(Cancel);
        Assert.Equal((visitorId, "CN"), (visitor.Id, visitor.Region));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.6")]
    public async Task PutConsents_WithSecGpc_RecordsAdvertisingAndSharingRefusedWhateverTheBodySays(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var browser = host.Client();
        var everything = (await browser.GetFromJsonAsync<JsonElement>(Url, Cancel)).GetProperty("purposes").EnumerateArray()
            .ToDictionary(p => p.GetProperty("purpose").GetString()!, _ => true);
        using var put = new HttpRequestMessage(HttpMethod.Put, Url) { Content = JsonContent.Create(new { choices = everything }) };
        put.Headers.Add("Sec-GPC", "1");

        using var response = await browser.SendAsync(put, Cancel);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        var withoutSignal = await browser.GetFromJsonAsync<JsonElement>(Url, Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(answer.GetProperty("gpc").GetBoolean());
        Assert.DoesNotContain(Advertising, Granted(answer));
        Assert.DoesNotContain(AdMeasurement, Granted(answer));
        Assert.Contains(Analytics, Granted(answer));
        Assert.Equal(Granted(answer), Granted(withoutSignal));
        var events = await EventsAsync(host);
        Assert.Equal([AdMeasurement, Advertising], events.Where(e => !e.Granted).Select(e => e.PurposeKey).Order(StringComparer.Ordinal));
    }

    [Fact]
    [Trait("Clause", "S1.6")]
    public async Task GetConsents_WithSecGpcAfterAnAcceptAll_ShowsTheSignalsPurposesRefused()
    {
        await using var host = await SubjectsHost.StartAsync(DatabaseProvider.Sqlite, Cancel);
        var browser = host.Client();
        using var accepted = await browser.PutAsJsonAsync(Url, new { choices = new Dictionary<string, bool> { [Analytics] = true, [Advertising] = true } }, Cancel);
        using var get = new HttpRequestMessage(HttpMethod.Get, Url);
        get.Headers.Add("Sec-GPC", "1");

        using var response = await browser.SendAsync(get, Cancel);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);

        Assert.Equal([Analytics, Advertising], Granted(await accepted.Content.ReadFromJsonAsync<JsonElement>(Cancel)));
        Assert.True(answer.GetProperty("gpc").GetBoolean());
        Assert.Equal([Analytics], Granted(answer));
    }

    [Theory]
    [InlineData("{\"choices\":{\"analytics.reporting\":true,\"no.such.purpose\":true}}", "urn:konzen:problem:invalid-input")]
    [InlineData("{\"choices\":{\"essential.service.security\":false}}", "urn:konzen:problem:invalid-input")]
    [InlineData("{\"choices\":{\"analytics.reporting\":\"yes\"}}", "urn:konzen:problem:malformed-body")]
    [InlineData("{\"choices\":{\"analytics.reporting\":1}}", "urn:konzen:problem:malformed-body")]
    [InlineData("{\"choices\":[\"analytics.reporting\"]}", "urn:konzen:problem:malformed-body")]
    [InlineData("{}", "urn:konzen:problem:invalid-input")]
    [InlineData("{\"choices\":{},\"forever\":true}", "urn:konzen:problem:malformed-body")]
    [Trait("Clause", "S4.9")]
    public async Task PutConsents_BadInput_IsA400ProblemAndTheStoreIsUnchanged(string json, string type)
    {
        await using var host = await SubjectsHost.StartAsync(DatabaseProvider.Sqlite, Cancel);
        var browser = host.Client();
        using var chosen = await browser.PutAsJsonAsync(Url, new { choices = new Dictionary<string, bool> { [Analytics] = true } }, Cancel);
        Assert.Equal(HttpStatusCode.OK, chosen.StatusCode);
        var before = await host.DumpAsync(Cancel);

        using var response = await browser.PutAsync(Url, new StringContent(json, Encoding.UTF8, "application/json"), Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(type, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("type").GetString());
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }

    [Fact]
    [Trait("Clause", "S1.6")]
    public async Task GetGpcJson_SaysTheSiteHonoursTheSignal()
    {
        await using var host = await SubjectsHost.StartAsync(DatabaseProvider.Sqlite, Cancel);

        using var response = await host.Client().GetAsync("/.well-known/gpc.json", Cancel);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(answer.GetProperty("gpc").GetBoolean());
        Assert.Equal("2026-12-01", answer.GetProperty("lastUpdate").GetString());
    }

    private static string[] Granted(JsonElement answer) =>
        [.. answer.GetProperty("purposes").EnumerateArray().Where(p => p.GetProperty("granted").GetBoolean()).Select(p => p.GetProperty("purpose").GetString()!)];

    private static async Task<List<ConsentEvent>> EventsAsync(SubjectsHost host)
    {
        await using var db = host.Store.NewDataContext();
        return await db.Set<ConsentEvent>().OrderBy(e => e.Id).ToListAsync(Cancel);
    }
}
