using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Storage;

namespace Konzen.Privacy.Host.Tests.Sharing;

public sealed class DatasetApiTests
{
    private const string Recipients = "/api/v1/admin/recipients";
    private const string Profiling = "marketing.advertising.profiling";
    private const string Measurement = "analytics.reporting.ad_performance";
    private const int K = 10;

    private static readonly string[] AdvertiserCategories =
        ["user.location.imprecise", "user.demographic.age_range", "user.device", "user.behavior.browsing_history", "user.behavior.clicks"];

    private static readonly string[] AdvertiserPurposes = [Profiling, Measurement];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.1")]
    [Trait("Clause", "S5.2")]
    [Trait("Clause", "S4.6")]
    [Trait("Clause", "S6.1")]
    public async Task Datasets_ConsentedAdults_SentOnlyUnderAValidAgreement_KAnonymousWithTheirHash_AndInTheExportOfEachSubjectTouched(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        using var staff = host.StaffClient(await host.AddStaffAsync("ana", Cancel));
        await CreateAdvertiserAsync(staff);

        var consenting = new List<(Guid Id, HttpClient Client, string Email)>();
        for (var i = 1; i <= K; i++)
        {
            var email = $"adult{i}@example.com";
            var (id, client) = await host.SignedInSubjectAsync(email, i, Cancel);
            await ConsentAsync(client, Profiling);
            await ConsentAsync(client, Measurement);
            await BrowseAsync(host, client);
            consenting.Add((id, client, email));
        }

        var (bystanderId, bystander) = await host.SignedInSubjectAsync("declined@example.com", K + 1, Cancel);
        await BrowseAsync(host, bystander);
        var period = new { from = host.Time.GetUtcNow().AddDays(-1), to = host.Time.GetUtcNow().AddHours(1) };

        using var withoutAgreement = await staff.PostAsJsonAsync($"{Recipients}/acme-ads/datasets", period, Cancel);
        using var agreement = await staff.PostAsJsonAsync($"{Recipients}/acme-ads/agreements", new
        {
            kind = "data-processing-agreement", reference = "DPA-acme", signedAt = host.Time.GetUtcNow().AddDays(-1), expiresAt = host.Time.GetUtcNow().AddDays(30),
        }, Cancel);
        using var dataset = await staff.PostAsJsonAsync($"{Recipients}/acme-ads/datasets", period, Cancel);
        var csv = await dataset.Content.ReadAsByteArrayAsync(Cancel);
        using var report = await staff.PostAsJsonAsync($"{Recipients}/acme-ads/measurements", period, Cancel);
        var reportCsv = await report.Content.ReadAsByteArrayAsync(Cancel);
        using var bystanderExport = await bystander.GetAsync("/api/v1/me/data", Cancel);

        Assert.Equal(HttpStatusCode.Forbidden, withoutAgreement.StatusCode);
        Assert.Equal("NoValidAgreement", (await withoutAgreement.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("refusal").GetString());
        Assert.Equal(HttpStatusCode.Created, agreement.StatusCode);
        Assert.Equal(HttpStatusCode.OK, dataset.StatusCode);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(csv)), dataset.Headers.GetValues("Konzen-Disclosure-Sha256").Single());
        Assert.True(int.Parse(dataset.Headers.GetValues("Konzen-K").Single(), System.Globalization.CultureInfo.InvariantCulture) >= K);
        var text = Encoding.UTF8.GetString(csv);
        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 1, text);
        Assert.Equal(lines.Length - 1, int.Parse(dataset.Headers.GetValues("Konzen-Rows").Single(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.All(consenting, s =>
        {
            Assert.DoesNotContain(s.Email, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(s.Id.ToString(), text, StringComparison.OrdinalIgnoreCase);
        });
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        Assert.StartsWith("day,target,city,events,subjects", Encoding.UTF8.GetString(reportCsv), StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(reportCsv)), report.Headers.GetValues("Konzen-Disclosure-Sha256").Single());

        var datasetId = dataset.Headers.GetValues("Konzen-Disclosure-Id").Single();
        var reportId = report.Headers.GetValues("Konzen-Disclosure-Id").Single();
        foreach (var (id, client, _) in consenting)
        {
            using var export = await client.GetAsync("/api/v1/me/data", Cancel);
            var disclosures = (await export.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("disclosures").EnumerateArray().ToList();
            Assert.Equal(new[] { datasetId, reportId }.Order(StringComparer.Ordinal), disclosures.Select(d => d.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
            Assert.All(disclosures, d => Assert.Equal(("acme-ads", "de-identified", K), (d.GetProperty("recipientId").GetString(), d.GetProperty("basis").GetString(), d.GetProperty("subjectCount").GetInt32())));
            Assert.NotEqual(bystanderId, id);
        }

        Assert.Empty((await bystanderExport.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("disclosures").EnumerateArray());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.1")]
    public async Task Datasets_BadInputOrNoOneToRelease_IsProblemDetailsAndChangesNothing(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        using var staff = host.StaffClient(await host.AddStaffAsync("ana", Cancel));
        await CreateAdvertiserAsync(staff);
        var now = host.Time.GetUtcNow();
        var before = await host.DumpAsync(Cancel);

        (string Path, object Body, HttpStatusCode Status, string Type)[] cases =
        [
            ($"{Recipients}/acme-ads/datasets", new { from = now, to = now.AddDays(-1) }, HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input"),
            ($"{Recipients}/acme-ads/datasets", new { from = now.AddDays(-1) }, HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input"),
            ($"{Recipients}/acme-ads/datasets", new { from = now.AddDays(-400), to = now }, HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input"),
            ($"{Recipients}/acme-ads/datasets", new { from = now.AddDays(-1), to = now, k = K - 1 }, HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input"),
            ($"{Recipients}/acme-ads/measurements", new { from = now.AddDays(-1), to = now, k = 5000 }, HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input"),
            ($"{Recipients}/nobody/datasets", new { from = now.AddDays(-1), to = now }, HttpStatusCode.NotFound, "urn:konzen:problem:unknown-recipient"),
            ($"{Recipients}/nobody/measurements", new { from = now.AddDays(-1), to = now }, HttpStatusCode.NotFound, "urn:konzen:problem:unknown-recipient"),
        ];
        foreach (var (path, body, status, type) in cases)
        {
            using var response = await staff.PostAsJsonAsync(path, body, Cancel);
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(type, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("type").GetString());
        }

        Assert.Equal(before, await host.DumpAsync(Cancel));
    }

    /// <summary>Acme Ads, an advertiser of the policy's advertisers class, offered all the class may receive; no agreement yet.</summary>
    private static async Task CreateAdvertiserAsync(HttpClient staff)
    {
        using var created = await staff.PutAsJsonAsync($"{Recipients}/acme-ads", new
        {
            name = "Acme Ads", kind = "advertiser", policyClass = "advertisers", region = "CN", categories = AdvertiserCategories, purposes = AdvertiserPurposes,
        }, Cancel);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    private static async Task ConsentAsync(HttpClient subject, string purpose)
    {
        using var response = await subject.PutAsJsonAsync($"/api/v1/me/consents/{purpose}", new { granted = true }, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task BrowseAsync(SubjectsHost host, HttpClient subject)
    {
        var at = host.Time.GetUtcNow().AddHours(-2);
        using var response = await subject.PostAsJsonAsync("/api/v1/events", new
        {
            events = new object[]
            {
                new { type = "device", purpose = "advertising", at, page = "/", data = new Dictionary<string, string> { ["model"] = "iPhone 15" } },
                new { type = "page-view", purpose = "advertising", at, page = "/domains" },
                new { type = "click", purpose = "advertising", at, page = "/domains", target = "register-com" },
            },
        }, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
