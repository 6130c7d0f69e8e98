using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;

namespace Konzen.Privacy.Host.Tests.Consent;

/// <summary>
/// Two `konzen` processes, as two nodes are deployed, on one PostgreSQL and one shared key folder:
/// nothing in memory is shared, so only the database's notification can tell node B of a change on A.
/// </summary>
public sealed class TwoProcessTests
{
    private const string Purpose = "marketing.advertising.profiling";
    private const string Category = "user.behavior.clicks";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Clause", "S6.1")]
    public async Task Withdraw_ThroughProcessA_ProcessBsNextDecisionDenies()
    {
        await using var store = await TestStore.CreateAsync(DatabaseProvider.Postgres, Cancel);
        await using var smtp = new TestSmtpServer();
        using var keys = new TempFolder();
        string[] settings =
        [
            $"--Storage:Database={store.DatabaseConnectionString}", $"--Storage:KeyStore={store.KeyStoreConnectionString}",
            $"--Storage:DataDirectory={keys.Path}", "--Email:Host=127.0.0.1", $"--Email:Port={smtp.Port.ToString(CultureInfo.InvariantCulture)}",
        ];
        await using var nodeA = await KonzenProcess.StartAsync(settings);
        await using var nodeB = await KonzenProcess.StartAsync(settings);

        var policy = await nodeA.Http.GetFromJsonAsync<JsonElement>("/api/v1/policy", Cancel);
        var hash = policy.GetProperty("version").GetProperty("contentHash").GetString();
        using var registered = await nodeA.Http.PostAsJsonAsync(
            "/api/v1/registrations", new { email = "nodes@example.com", password = "correct horse battery", birthDate = "1990-05-17", acceptedPolicyHash = hash }, Cancel);
        var registrationId = (await registered.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("registrationId").GetGuid();
        var code = SubjectsHost.CodeIn((await smtp.WaitForAsync(1, TimeSpan.FromSeconds(30)))[0].TextBody ?? string.Empty);
        using var verified = await nodeA.Http.PostAsJsonAsync($"/api/v1/registrations/{registrationId}/verify", new { channel = "email", code }, Cancel);
        Assert.Equal(HttpStatusCode.Created, verified.StatusCode);
        await nodeA.SignInAsync("nodes@example.com");

        // The token A issued works on B: the keys that protect sessions live in the shared key store.
        nodeB.Http.DefaultRequestHeaders.Authorization = nodeA.Http.DefaultRequestHeaders.Authorization;

        Assert.Equal(HttpStatusCode.OK, (await nodeA.Http.PutAsJsonAsync($"/api/v1/me/consents/{Purpose}", new { granted = true }, Cancel)).StatusCode);
        Assert.True(await nodeB.AllowedAsync(Purpose, Category));

        Assert.Equal(HttpStatusCode.OK, (await nodeA.Http.PutAsJsonAsync($"/api/v1/me/consents/{Purpose}", new { granted = false }, Cancel)).StatusCode);

        Assert.False(await nodeB.AllowedAsync(Purpose, Category));
    }
}
