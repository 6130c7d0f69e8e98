using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;

namespace Konzen.Privacy.Host.Tests.Sharing;

/// <summary><c>GET /api/v1/ads/decision</c> (S4.5) over the real pipeline: sessions, the visitor cookie, Sec-GPC and consent.</summary>
public sealed class AdEndpointsTests
{
    private const string Decision = "/api/v1/ads/decision";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S4.5")]
    public async Task Decision_SignedInSubject_PersonalizedOnlyWhileConsentedAndWithoutGpc(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, subject) = await host.SignedInSubjectAsync("ads@example.com", 1, Cancel);

        var before = await DecideAsync(subject);
        await ConsentAsync(subject, true);
        var consented = await DecideAsync(subject);
        var withGpc = await DecideAsync(subject, gpc: true);
        await ConsentAsync(subject, false);
        var withdrawn = await DecideAsync(subject);

        Assert.Equal("""{"mode":"generic"}""", before);
        using (var json = JsonDocument.Parse(consented))
        {
            Assert.Equal("personalized", json.RootElement.GetProperty("mode").GetString());
            Assert.Equal(["age:" + AdDecisions.AgeBand(Age(new DateOnly(1990, 5, 17)))], json.RootElement.GetProperty("segments").EnumerateArray().Select(s => s.GetString()));
        }

        Assert.Equal("""{"mode":"generic"}""", withGpc);
        Assert.Equal("""{"mode":"generic"}""", withdrawn);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S4.5")]
    public async Task Decision_MinorAskingForPersonalizedAds_RefusedAndGeneric(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var client = host.Client();
        var birthDate = DateOnly.FromDateTime(DateTime.UtcNow).AddYears(-16);
        var id = await host.RegisterAsync(client, new { email = "teen@example.com", password = "correct horse battery", birthDate, acceptedPolicyHash = host.PolicyHash }, Cancel);
        using var verified = await SubjectsHost.VerifyAsync(client, id, "email", await host.EmailCodeAsync(1), Cancel);
        using var session = await client.PostAsJsonAsync("/api/v1/sessions", new { email = "teen@example.com", password = "correct horse battery", mode = "cookie" }, Cancel);
        Assert.Equal(HttpStatusCode.OK, session.StatusCode);

        // The ledger refuses a minor's grant of an excluded purpose (S8.1), so no consent gets on record.
        using var refused = await client.PutAsJsonAsync($"/api/v1/me/consents/{AdDecisions.Purpose}", new { granted = true }, Cancel);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        Assert.Equal("""{"mode":"generic"}""", await DecideAsync(client));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S4.5")]
    public async Task Decision_Visitor_GenericWithoutConsentPersonalizedWithIt(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var refusing = host.Client();
        var accepting = host.Client();
        var nobody = host.Client();
        using (var refused = await refusing.PutAsJsonAsync("/api/v1/visitor/consents", new { choices = new Dictionary<string, bool> { [AdDecisions.Purpose] = false } }, Cancel))
        using (var accepted = await accepting.PutAsJsonAsync("/api/v1/visitor/consents", new { choices = new Dictionary<string, bool> { [AdDecisions.Purpose] = true } }, Cancel))
        {
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (refused.StatusCode, accepted.StatusCode));
        }

        Assert.Equal("""{"mode":"generic"}""", await DecideAsync(nobody));
        Assert.Equal("""{"mode":"generic"}""", await DecideAsync(refusing));
        Assert.Equal("""{"mode":"personalized","segments":[]}""", await DecideAsync(accepting));
        Assert.Equal("""{"mode":"generic"}""", await DecideAsync(accepting, gpc: true));
    }

    private static async Task<string> DecideAsync(HttpClient client, bool gpc = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Decision);
        if (gpc)
        {
            request.Headers.Add("Sec-GPC", "1");
        }

        using var response = await client.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        return await response.Content.ReadAsStringAsync(Cancel);
    }

    private static async Task ConsentAsync(HttpClient client, bool granted)
    {
        using var response = await client.PutAsJsonAsync($"/api/v1/me/consents/{AdDecisions.Purpose}", new { granted }, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static int Age(DateOnly birthDate) => Privacy.Subjects.SubjectAges.AgeOn(birthDate, DateOnly.FromDateTime(DateTime.UtcNow));
}
