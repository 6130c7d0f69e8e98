using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Storage;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Konzen.Privacy.Host.Tests.Consent;

public sealed class ConsentApiTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S0.3")]
    [Trait("Clause", "S1.1")]
    public async Task Consents_NewSubject_EveryOptionalPurposeStartsWithdrawn(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, client) = await host.SignedInSubjectAsync("new@example.com", 1, Cancel);

        var consents = await client.GetFromJsonAsync<JsonElement>("/api/v1/me/consents", Cancel);

        var purposes = consents.EnumerateArray().ToDictionary(c => c.GetProperty("purpose").GetString()!, c => c.GetProperty("granted").GetBoolean());
        Assert.Equal(7, purposes.Count);
        Assert.Contains("marketing.advertising.profiling", purposes.Keys);
        Assert.DoesNotContain("essential.service", purposes.Keys);
        Assert.All(purposes.Values, Assert.False);
        var decision = await DecisionAsync(client, "personalize", "user.device");
        Assert.False(decision.GetProperty("allowed").GetBoolean());
        Assert.Equal("NotConsented", decision.GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    public async Task PutConsent_GrantThenWithdraw_TheVeryNextDecisionDenies(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, client) = await host.SignedInSubjectAsync("grant@example.com", 1, Cancel);

        using var granted = await client.PutAsJsonAsync("/api/v1/me/consents/personalize", new { granted = true }, Cancel);
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        var receipt = await granted.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(3, receipt.GetProperty("receipt").GetString()!.Split('.').Length);
        var allowed = await DecisionAsync(client, "personalize", "user.device");
        Assert.True(allowed.GetProperty("allowed").GetBoolean());
        Assert.Equal("Consented", allowed.GetProperty("reason").GetString());
        Assert.Equal("S4.4", allowed.GetProperty("clause").GetString());

        using var withdrawn = await client.PutAsJsonAsync("/api/v1/me/consents/personalize", new { granted = false }, Cancel);
        Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        var denied = await DecisionAsync(client, "personalize", "user.device");

        Assert.False(denied.GetProperty("allowed").GetBoolean());
        Assert.Equal("NotConsented", denied.GetProperty("reason").GetString());
        var history = await client.GetFromJsonAsync<JsonElement>("/api/v1/me/consents/history", Cancel);
        Assert.Equal([true, false], history.EnumerateArray().Select(e => e.GetProperty("granted").GetBoolean()));
        Assert.All(history.EnumerateArray(), e => Assert.Equal("app", e.GetProperty("method").GetString()));
    }

    [Theory]
    [InlineData("/api/v1/me/consents/no.such.purpose", "{\"granted\":true}", HttpStatusCode.NotFound, "urn:konzen:problem:unknown-purpose")]
    [InlineData("/api/v1/me/consents/essential.service", "{\"granted\":false}", HttpStatusCode.Conflict, "urn:konzen:problem:purpose-not-optional")]
    [InlineData("/api/v1/me/consents/personalize", "{}", HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input")]
    [InlineData("/api/v1/me/consents/personalize", "{\"granted\":true,\"forever\":true}", HttpStatusCode.BadRequest, "urn:konzen:problem:malformed-body")]
    [InlineData("/api/v1/me/consents/personalize", "{\"granted\":\"yes\"}", HttpStatusCode.BadRequest, "urn:konzen:problem:malformed-body")]
    [Trait("Clause", "S4.9")]
    public async Task PutConsent_BadRequest_IsProblemAndStoreUnchanged(string url, string json, HttpStatusCode status, string type)
    {
        await using var host = await SubjectsHost.StartAsync(DatabaseProvider.Sqlite, Cancel);
        var (_, client) = await host.SignedInSubjectAsync("bad@example.com", 1, Cancel);
        var before = await host.DumpAsync(Cancel);

        using var response = await client.PutAsync(url, new StringContent(json, System.Text.Encoding.UTF8, "application/json"), Cancel);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(type, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("type").GetString());
        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }

    [Fact]
    public async Task Consents_WithoutSignIn_AreRefused()
    {
        await using var host = await SubjectsHost.StartAsync(DatabaseProvider.Sqlite, Cancel);
        var anonymous = host.App.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/me/consents", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PutAsJsonAsync("/api/v1/me/consents/personalize", new { granted = true }, Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/me/decisions?purpose=personalize&category=user.device", Cancel)).StatusCode);
    }

    /// <summary>
    /// Two nodes (two hosts, each with its own consent cache and listener) on one PostgreSQL: a
    /// withdrawal through A reaches B's decisions without restarting B. B's cache is warm with the
    /// grant before the withdrawal, so only the cross-node eviction can make B deny.
    /// </summary>
    [Fact]
    [Trait("Clause", "S6.1")]
    public async Task Withdraw_OnNodeA_NodeBDenies()
    {
        await using var host = await SubjectsHost.StartAsync(DatabaseProvider.Postgres, Cancel);
        await using WebApplicationFactory<Program> nodeB = host.App.WithWebHostBuilder(_ => { });
        var (_, onA) = await host.SignedInSubjectAsync("twonodes@example.com", 1, Cancel);
        var onB = nodeB.CreateClient();
        onB.DefaultRequestHeaders.Authorization = onA.DefaultRequestHeaders.Authorization;

        Assert.Equal(HttpStatusCode.OK, (await onA.PutAsJsonAsync("/api/v1/me/consents/marketing.advertising.profiling", new { granted = true }, Cancel)).StatusCode);
        Assert.True((await DecisionAsync(onB, "marketing.advertising.profiling", "user.behavior.clicks")).GetProperty("allowed").GetBoolean());

        Assert.Equal(HttpStatusCode.OK, (await onA.PutAsJsonAsync("/api/v1/me/consents/marketing.advertising.profiling", new { granted = false }, Cancel)).StatusCode);
        var denied = await DecisionAsync(onB, "marketing.advertising.profiling", "user.behavior.clicks");

        Assert.False(denied.GetProperty("allowed").GetBoolean());
        Assert.Equal("NotConsented", denied.GetProperty("reason").GetString());
    }

    private static async Task<JsonElement> DecisionAsync(HttpClient client, string purpose, string category) =>
        await client.GetFromJsonAsync<JsonElement>($"/api/v1/me/decisions?purpose={purpose}&category={category}", Cancel);
}
