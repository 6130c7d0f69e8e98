using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Storage;

namespace Konzen.Privacy.Host.Tests.Collection;

public sealed class LocationApiTests
{
    private const string Latitude = "48.137154";
    private const string Longitude = "11.576124";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.3")]
    public async Task PostLocation_WithoutConsent_IsRefusedAndStoreUnchanged(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, client) = await host.SignedInSubjectAsync("noconsent@example.com", 1, Cancel);
        var before = await host.DumpAsync(Cancel);

        using var response = await PostAsync(client, Report(host), Cancel);

        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "urn:konzen:problem:location-not-consented");
        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.3")]
    [Trait("Clause", "S2.1")]
    public async Task PostLocation_ConsentedAndPositioningOn_StoredWithoutPlaintextCoordinates(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, client) = await host.SignedInSubjectAsync("stored@example.com", 1, Cancel);
        await ConsentAsync(client, "functional.location", granted: true);

        using var response = await PostAsync(client, Report(host), Cancel);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var dump = await host.DumpAsync(Cancel);
        var stored = Assert.Single(dump.Single(t => t.Key.EndsWith(".location_points", StringComparison.Ordinal)).Value);
        var rows = dump.Values.SelectMany(r => r).ToList();
        Assert.DoesNotContain(rows, r => r.Contains(Latitude, StringComparison.Ordinal) || r.Contains(Longitude, StringComparison.Ordinal));

        // Not even a rounded form in the point's row; across the whole dump such short numbers could match by chance.
        Assert.DoesNotContain("48.1", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("11.5", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("11.6", stored, StringComparison.Ordinal);
        var precise = await ReadAsync(client, "functional.location");
        var point = Assert.Single(precise.GetProperty("points").EnumerateArray());
        Assert.Equal(48.137154, point.GetProperty("latitude").GetDouble());
        Assert.Equal(11.576124, point.GetProperty("longitude").GetDouble());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.4")]
    public async Task PostLocation_AfterPositioningOff_RefusedUntilOnAgain(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, client) = await host.SignedInSubjectAsync("off@example.com", 1, Cancel);
        await ConsentAsync(client, "functional.location", granted: true);

        using var off = await PostAsync(client, Report(host, positioning: "off"), Cancel);
        await AssertProblemAsync(off, HttpStatusCode.Conflict, "urn:konzen:problem:positioning-off");
        var afterOff = await host.DumpAsync(Cancel);
        Assert.Empty(afterOff.Single(t => t.Key.EndsWith(".location_points", StringComparison.Ordinal)).Value);
        using var stillOff = await PostAsync(client, Report(host, positioning: "off"), Cancel);
        await AssertProblemAsync(stillOff, HttpStatusCode.Conflict, "urn:konzen:problem:positioning-off");
        Assert.Equivalent(afterOff, await host.DumpAsync(Cancel), strict: true);

        using var on = await PostAsync(client, Report(host), Cancel);

        Assert.Equal(HttpStatusCode.Created, on.StatusCode);
        Assert.Single((await ReadAsync(client, "functional.location")).GetProperty("points").EnumerateArray());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.3")]
    public async Task PostLocation_AfterWithdrawal_TheVeryNextPointIsRefused(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, client) = await host.SignedInSubjectAsync("withdraw@example.com", 1, Cancel);
        await ConsentAsync(client, "functional.location", granted: true);
        using var first = await PostAsync(client, Report(host), Cancel);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        await ConsentAsync(client, "functional.location", granted: false);
        var before = await host.DumpAsync(Cancel);

        using var next = await PostAsync(client, Report(host), Cancel);

        await AssertProblemAsync(next, HttpStatusCode.Forbidden, "urn:konzen:problem:location-not-consented");
        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.3")]
    public async Task GetLocations_AdvertisingReadsCityLevel_PurposeWithoutLocationReadsNothing(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, client) = await host.SignedInSubjectAsync("precision@example.com", 1, Cancel);
        await ConsentAsync(client, "functional.location", granted: true);
        await ConsentAsync(client, "marketing.advertising.profiling", granted: true);
        using var stored = await PostAsync(client, Report(host), Cancel);
        Assert.Equal(HttpStatusCode.Created, stored.StatusCode);

        var ads = await ReadAsync(client, "marketing.advertising.profiling");
        var none = await ReadAsync(client, "essential.service.security");

        Assert.True(ads.GetProperty("allowed").GetBoolean());
        var city = Assert.Single(ads.GetProperty("points").EnumerateArray());
        Assert.Equal(48.1, city.GetProperty("latitude").GetDouble());
        Assert.Equal(11.6, city.GetProperty("longitude").GetDouble());
        Assert.True(city.GetProperty("cityLevel").GetBoolean());
        Assert.False(none.GetProperty("allowed").GetBoolean());
        Assert.Empty(none.GetProperty("points").EnumerateArray());
    }

    [Theory]
    [InlineData("{\"latitude\":91,\"longitude\":11.5,\"accuracy\":10,\"source\":\"gps\",\"positioning\":\"on\",\"time\":\"NOW\"}", "urn:konzen:problem:invalid-input")]
    [InlineData("{\"latitude\":48.1,\"longitude\":-181,\"accuracy\":10,\"source\":\"gps\",\"positioning\":\"on\",\"time\":\"NOW\"}", "urn:konzen:problem:invalid-input")]
    [InlineData("{\"latitude\":48.1,\"longitude\":11.5,\"accuracy\":-1,\"source\":\"gps\",\"positioning\":\"on\",\"time\":\"NOW\"}", "urn:konzen:problem:invalid-input")]
    [InlineData("{\"latitude\":48.1,\"longitude\":11.5,\"accuracy\":10,\"source\":\"gsm\",\"positioning\":\"on\",\"time\":\"NOW\"}", "urn:konzen:problem:invalid-input")]
    [InlineData("{\"latitude\":48.1,\"longitude\":11.5,\"accuracy\":10,\"source\":\"gps\",\"positioning\":\"on\"}", "urn:konzen:problem:invalid-input")]
    [InlineData("{\"latitude\":48.1,\"longitude\":11.5,\"accuracy\":10,\"source\":\"gps\",\"positioning\":\"on\",\"time\":\"2000-01-01T00:00:00Z\"}", "urn:konzen:problem:invalid-input")]
    [InlineData("{\"latitude\":48.1,\"longitude\":11.5,\"accuracy\":10,\"source\":\"gps\",\"positioning\":\"on\",\"time\":\"NOW\",\"altitude\":5}", "urn:konzen:problem:malformed-body")]
    public async Task PostLocation_InvalidInput_IsProblemAndStoreUnchanged(string json, string type)
    {
        await using var host = await SubjectsHost.StartAsync(DatabaseProvider.Sqlite, Cancel);
        var (_, client) = await host.SignedInSubjectAsync("invalid@example.com", 1, Cancel);
        await ConsentAsync(client, "functional.location", granted: true);
        var before = await host.DumpAsync(Cancel);
        var body = json.Replace("NOW", host.Time.GetUtcNow().ToString("O"), StringComparison.Ordinal);

        using var response = await client.PostAsync("/api/v1/me/locations", new StringContent(body, Encoding.UTF8, "application/json"), Cancel);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, type);
        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }

    private static object Report(SubjectsHost host, string positioning = "on") => new
    {
        latitude = double.Parse(Latitude, System.Globalization.CultureInfo.InvariantCulture),
        longitude = double.Parse(Longitude, System.Globalization.CultureInfo.InvariantCulture),
        accuracy = 12.5,
        source = "gps",
        positioning,
        time = host.Time.GetUtcNow(),
    };

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, object report, CancellationToken cancellationToken) =>
        client.PostAsJsonAsync("/api/v1/me/locations", report, cancellationToken);

    private static async Task ConsentAsync(HttpClient client, string purpose, bool granted)
    {
        using var response = await client.PutAsJsonAsync($"/api/v1/me/consents/{purpose}", new { granted }, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static Task<JsonElement> ReadAsync(HttpClient client, string purpose) =>
        client.GetFromJsonAsync<JsonElement>($"/api/v1/me/locations?purpose={purpose}", Cancel);

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(type, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("type").GetString());
    }
}
