using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;

namespace Konzen.Privacy.Host.Tests.Residency;

public sealed class ResidencyApiTests : IDisposable
{
    private readonly TempFolder folder = new();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.4")]
    public async Task Transfers_KonzenPolicy_NoneListedAndNoneCanBeConsentedTo(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, client) = await host.SignedInSubjectAsync("home@example.com", 1, Cancel);
        var before = await host.DumpAsync(Cancel);

        var transfers = await client.GetFromJsonAsync<JsonElement>("/api/v1/me/transfers", Cancel);
        using var consent = await client.PutAsJsonAsync($"/api/v1/me/transfers/{TransferPolicy.TransferId}", new { granted = true, noticeHash = new string('a', 64) }, Cancel);

        Assert.Equal(0, transfers.GetArrayLength());
        await AssertProblemAsync(consent, HttpStatusCode.NotFound, "urn:konzen:problem:unknown-transfer");
        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.4")]
    public async Task PutTransfer_ConsentToTheNoticeShownThenWithdraw_RecordedAndListed(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel, TransferPolicySetting());
        var (_, client) = await host.SignedInSubjectAsync("abroad@example.com", 1, Cancel);

        var listed = Assert.Single((await client.GetFromJsonAsync<JsonElement>("/api/v1/me/transfers", Cancel)).EnumerateArray());
        var zhNotice = listed.GetProperty("notice").GetProperty("zh-CN");
        using var granted = await client.PutAsJsonAsync(
            $"/api/v1/me/transfers/{TransferPolicy.TransferId}", new { granted = true, noticeHash = zhNotice.GetProperty("hash").GetString() }, Cancel);
        var afterGrant = Assert.Single((await client.GetFromJsonAsync<JsonElement>("/api/v1/me/transfers", Cancel)).EnumerateArray());
        using var withdrawn = await client.PutAsJsonAsync($"/api/v1/me/transfers/{TransferPolicy.TransferId}", new { granted = false }, Cancel);

        Assert.Equal(TransferPolicy.TransferId, listed.GetProperty("id").GetString());
        Assert.Equal((TransferPolicy.Region, TransferPolicy.Recipient), (listed.GetProperty("toRegion").GetString(), listed.GetProperty("recipient").GetString()));
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("consent").ValueKind);
        var enText = listed.GetProperty("notice").GetProperty("en").GetProperty("text").GetString()!;
        Assert.All(["Recipient: advertisers", "Purposes: advertising measurement", "Security measures: ", "Risks: " + TransferPolicy.Risks],
            part => Assert.Contains(part, enText, StringComparison.Ordinal));
        Assert.Contains("安全保障措施：", zhNotice.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        var consent = afterGrant.GetProperty("consent");
        Assert.Equal((true, true, "zh-CN"), (consent.GetProperty("granted").GetBoolean(), consent.GetProperty("current").GetBoolean(), consent.GetProperty("language").GetString()));
        Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        Assert.False((await withdrawn.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("consent").GetProperty("granted").GetBoolean());
        var rows = (await host.DumpAsync(Cancel)).Single(t => t.Key.EndsWith(".transfer_consents", StringComparison.Ordinal)).Value;
        Assert.Equal(2, rows.Count);
    }

    [Theory]
    [InlineData("sg-ad-measurement", "{\"granted\":true,\"noticeHash\":\"0000000000000000000000000000000000000000000000000000000000000000\"}", HttpStatusCode.Conflict, "urn:konzen:problem:notice-outdated")]
    [InlineData("sg-ad-measurement", "{\"granted\":true}", HttpStatusCode.Conflict, "urn:konzen:problem:notice-outdated")]
    [InlineData("us-cloud", "{\"granted\":false}", HttpStatusCode.NotFound, "urn:konzen:problem:unknown-transfer")]
    [InlineData("sg-ad-measurement", "{}", HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input")]
    [InlineData("sg-ad-measurement", "{\"granted\":true,\"forever\":true}", HttpStatusCode.BadRequest, "urn:konzen:problem:malformed-body")]
    [Trait("Clause", "S2.4")]
    public async Task PutTransfer_BadRequest_IsProblemAndStoreUnchanged(string id, string json, HttpStatusCode status, string type)
    {
        await using var host = await SubjectsHost.StartAsync(DatabaseProvider.Sqlite, Cancel, TransferPolicySetting());
        var (_, client) = await host.SignedInSubjectAsync("bad@example.com", 1, Cancel);
        var before = await host.DumpAsync(Cancel);

        using var response = await client.PutAsync($"/api/v1/me/transfers/{id}", new StringContent(json, Encoding.UTF8, "application/json"), Cancel);

        await AssertProblemAsync(response, status, type);
        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.3")]
    public async Task Writes_NodeWhoseStoreIsInAnotherRegion_Are451RegionMismatchAndStoreUnchanged(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel, TransferPolicySetting());
        var (_, home) = await host.SignedInSubjectAsync("moved@example.com", 1, Cancel);
        // A second node over the same store, told (rightly or not) that the store is in SG.
        await using var misplaced = host.App.WithWebHostBuilder(builder => builder.UseSetting("Residency:StoreRegion", TransferPolicy.Region));
        var client = misplaced.CreateClient();
        client.DefaultRequestHeaders.Authorization = home.DefaultRequestHeaders.Authorization;
        var before = await host.DumpAsync(Cancel);

        using var consent = await client.PutAsJsonAsync("/api/v1/me/consents/functional.location", new { granted = true }, Cancel);
        using var location = await client.PostAsJsonAsync("/api/v1/me/locations",
            new { latitude = 39.9, longitude = 116.4, accuracy = 10, source = "gps", positioning = "on", time = host.Time.GetUtcNow() }, Cancel);

        var problem = await AssertProblemAsync(consent, HttpStatusCode.UnavailableForLegalReasons, "urn:konzen:problem:region-mismatch");
        Assert.Equal(
            "This data store is in region SG; data of a subject homed in region CN is not written to it (S2.3). Nothing was saved.",
            problem.GetProperty("detail").GetString());
        await AssertProblemAsync(location, HttpStatusCode.UnavailableForLegalReasons, "urn:konzen:problem:region-mismatch");
        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.3")]
    public async Task Register_DeploymentRegionConfigured_SubjectHomedThere(DatabaseProvider provider)
    {
        var settings = new Dictionary<string, string>(TransferPolicySetting()) { ["Residency:Region"] = TransferPolicy.Region };
        await using var host = await SubjectsHost.StartAsync(provider, Cancel, settings);
        var (_, client) = await host.SignedInSubjectAsync("sg@example.com", 1, Cancel);

        var me = await client.GetFromJsonAsync<JsonElement>("/api/v1/me", Cancel);

        Assert.Equal(TransferPolicy.Region, me.GetProperty("region").GetString());
    }

    private Dictionary<string, string> TransferPolicySetting() =>
        new(StringComparer.Ordinal) { ["Policy:File"] = TransferPolicy.Write(folder.Path) };

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(type, problem.GetProperty("type").GetString());
        return problem;
    }
}
