using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Storage;

namespace Konzen.Privacy.Host.Tests.Rights;

public sealed class DeletionEndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    public async Task DeleteData_UnknownCategory_Is404ProblemAndChangesNothing(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Ct);
        var (_, client) = await host.SignedInSubjectAsync("lan.delete@example.cn", 1, Ct);
        var before = await host.DumpAsync(Ct);

        using var response = await client.DeleteAsync("/api/v1/me/data/consent-history", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("urn:konzen:problem:unknown-category", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("type").GetString());
        Assert.Equal(before, await host.DumpAsync(Ct));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    public async Task DeleteData_Everything_AnswersWhatWasDeletedAndWhatIsKeptWithReasons(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Ct);
        var (_, client) = await host.SignedInSubjectAsync("lan.delete@example.cn", 1, Ct);

        using var response = await client.DeleteAsync("/api/v1/me/data", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(["location-history", "log-events"], report.GetProperty("deleted").EnumerateArray().Select(d => d.GetProperty("category").GetString()));
        var account = report.GetProperty("kept").EnumerateArray().Single(k => k.GetProperty("category").GetString() == "account");
        Assert.False(string.IsNullOrEmpty(account.GetProperty("reason").GetString()));
    }
}
