using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Host.Tests.Collection;

/// <summary><c>POST /api/v1/events</c> over HTTP on both stores: who sent it decides what is kept.</summary>
public sealed class EventsApiTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.5")]
    [Trait("Clause", "S1.6")]
    public async Task PostEvents_SignedInWithAndWithoutAnalyticsConsent_KeepsAnalyticsOnlyWithConsent(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, consenting) = await host.SignedInSubjectAsync("consenting@example.com", 1, Cancel);
        var (_, refusing) = await host.SignedInSubjectAsync("refusing@example.com", 2, Cancel);
        await ConsentAsync(consenting, "analytics.reporting");

        var granted = await PostAsync(consenting, Batch(host, ("page-view", "analytics"), ("click", "analytics"), ("click", "security"), ("click", "advertising")));
        var refused = await PostAsync(refusing, Batch(host, ("page-view", "analytics"), ("click", "analytics"), ("click", "security"), ("click", "advertising")));

        Assert.Equal((4, 3, 1), Counts(granted));
        Assert.Equal(1, granted.GetProperty("droppedByPurpose").GetProperty("advertising").GetInt32());
        Assert.Equal((4, 1, 3), Counts(refused));
        Assert.Equal(2, refused.GetProperty("droppedByPurpose").GetProperty("analytics").GetInt32());
        Assert.Equal(
            new Dictionary<string, long> { ["analytics.reporting"] = 2, ["essential.service.security"] = 2 },
            await StoredByPurposeAsync(host));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.6")]
    public async Task PostEvents_Anonymous_StoresOnlySecurity(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        using var anonymous = host.Client();

        var answer = await PostAsync(anonymous, Batch(host, ("page-view", "analytics"), ("click", "personalization"), ("device", "security"), ("click", "advertising"), ("click", "security")));

        Assert.Equal((5, 2, 3), Counts(answer));
        Assert.Equal(new Dictionary<string, long> { ["essential.service.security"] = 2 }, await StoredByPurposeAsync(host));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.6")]
    public async Task PostEvents_WithSecGpc_DropsAdvertisingDespiteConsent(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, client) = await host.SignedInSubjectAsync("gpc@example.com", 1, Cancel);
        await ConsentAsync(client, "marketing.advertising.profiling");

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/events") { Content = Json(Batch(host, ("click", "advertising"), ("click", "security"))) };
        request.Headers.Add("Sec-GPC", "1");
        using var response = await client.SendAsync(request, Cancel);
        var withSignal = await AnswerAsync(response);
        var without = await PostAsync(client, Batch(host, ("click", "advertising")));

        Assert.Equal((2, 1, 1), Counts(withSignal));
        Assert.Equal(1, withSignal.GetProperty("droppedByPurpose").GetProperty("advertising").GetInt32());
        Assert.Equal((1, 1, 0), Counts(without));
        Assert.Equal(
            new Dictionary<string, long> { ["essential.service.security"] = 1, ["marketing.advertising.profiling"] = 1 },
            await StoredByPurposeAsync(host));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.5")]
    public async Task PostEvents_ThousandEventsWithContent_FitTheLimitAndAreStored(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        using var anonymous = host.Client();

        var answer = await PostAsync(anonymous, Batch(host, [.. Enumerable.Repeat(("click", "security"), 1000)]));

        Assert.Equal((1000, 1000, 0), Counts(answer));
        Assert.Equal(new Dictionary<string, long> { ["essential.service.security"] = 1000 }, await StoredByPurposeAsync(host));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task PostEvents_ThousandAndOneEvents_RefusedAndNothingStored(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        using var anonymous = host.Client();
        var before = await host.DumpAsync(Cancel);

        using var response = await anonymous.PostAsync("/api/v1/events", Json(Batch(host, [.. Enumerable.Repeat(("click", "security"), 1001)])), Cancel);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input");
        Assert.Contains("1000", problem.GetProperty("errors").GetProperty("events")[0].GetString(), StringComparison.Ordinal);
        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }

    [Fact]
    public async Task PostEvents_BodyOverTwoMebibytes_RefusedAsTooLargeAndNothingStored()
    {
        await using var host = await SubjectsHost.StartAsync(DatabaseProvider.Sqlite, Cancel);
        using var anonymous = host.Client();
        var before = await host.DumpAsync(Cancel);
        var body = $"{{\"events\":[{{\"type\":\"click\",\"purpose\":\"security\",\"at\":\"{host.Time.GetUtcNow():O}\",\"page\":\"{new string('x', 2 * 1024 * 1024)}\"}}]}}";

        using var response = await anonymous.PostAsync("/api/v1/events", new StringContent(body, Encoding.UTF8, "application/json"), Cancel);

        var problem = await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "urn:konzen:problem:body-too-large");
        Assert.Contains("2048 KiB", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }

    [Theory]
    [InlineData("{\"events\":[{\"type\":\"click\",\"purpose\":\"security\",\"at\":\"NOW\"},{\"type\":\"click\",\"purpose\":\"cookies\",\"at\":\"NOW\"}]}", "urn:konzen:problem:invalid-input", "events[1].purpose")]
    [InlineData("{\"events\":[{\"type\":\"click\",\"purpose\":\"security\",\"at\":\"yesterday\"}]}", "urn:konzen:problem:invalid-input", "events[0].at")]
    [InlineData("{\"events\":[{\"type\":\"click\",\"purpose\":\"security\",\"at\":\"NOW\",\"userId\":\"42\"}]}", "urn:konzen:problem:invalid-input", "events[0].userId")]
    [InlineData("{\"events\":[]}", "urn:konzen:problem:invalid-input", "events")]
    [InlineData("{\"events\":[{\"type\":\"click\",", "urn:konzen:problem:malformed-body", null)]
    public async Task PostEvents_MalformedBatch_ProblemAndNothingStored(string body, string type, string? field)
    {
        await using var host = await SubjectsHost.StartAsync(DatabaseProvider.Sqlite, Cancel);
        using var anonymous = host.Client();
        var before = await host.DumpAsync(Cancel);
        var now = host.Time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

        using var response = await anonymous.PostAsync("/api/v1/events", new StringContent(body.Replace("NOW", now, StringComparison.Ordinal), Encoding.UTF8, "application/json"), Cancel);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, type);
        if (field is not null)
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"the problem should name {field}");
        }

        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.5")]
    public async Task PostEvents_WithSessionCookie_ActorIsTheSubject(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, bearer) = await host.SignedInSubjectAsync("cookie@example.com", 1, Cancel);
        await ConsentAsync(bearer, "analytics.reporting");
        using var browser = host.Client();
        using (var session = await browser.PostAsJsonAsync("/api/v1/sessions", new { email = "cookie@example.com", password = "correct horse battery", mode = "cookie" }, Cancel))
        {
            Assert.True(session.IsSuccessStatusCode);
        }

        var answer = await PostAsync(browser, Batch(host, ("click", "analytics")));

        Assert.Equal((1, 1, 0), Counts(answer));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.5")]
    public async Task PostEvents_VisitorCookieWithoutChoice_KeepsSecurityUnderTheVisitorsOwnPseudonym(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        using var anonymous = host.Client();
        using var visitor = host.Client();
        visitor.DefaultRequestHeaders.Add("Cookie", $"konzen.visitor={Guid.NewGuid():N}");

        var fromVisitor = await PostAsync(visitor, Batch(host, ("click", "security"), ("click", "analytics")));
        await PostAsync(anonymous, Batch(host, ("click", "security")));
        await PostAsync(visitor, Batch(host, ("page-view", "security")));

        Assert.Equal((2, 1, 1), Counts(fromVisitor));
        await using var db = host.Store.NewDataContext();
        var pseudonyms = await db.Database.SqlQueryRaw<long>("SELECT pseudonym_id AS \"Value\" FROM log_events ORDER BY id").ToListAsync(Cancel);
        Assert.Equal(3, pseudonyms.Count);
        Assert.Equal(pseudonyms[0], pseudonyms[2]);
        Assert.NotEqual(pseudonyms[0], pseudonyms[1]);
    }

    [Fact]
    public async Task GetOpenApi_DescribesTheEventsEndpointWithItsBody()
    {
        await using var host = await SubjectsHost.StartAsync(DatabaseProvider.Sqlite, Cancel);

        var document = await host.Client().GetFromJsonAsync<JsonElement>("/openapi/v1.json", Cancel);

        var post = document.GetProperty("paths").GetProperty("/api/v1/events").GetProperty("post");
        Assert.Contains("1,000", post.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.True(post.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.True(post.GetProperty("responses").TryGetProperty("200", out _));
    }

    private static (int Received, int Stored, int Dropped) Counts(JsonElement answer) =>
        (answer.GetProperty("received").GetInt32(), answer.GetProperty("stored").GetInt32(), answer.GetProperty("dropped").GetInt32());

    private static object Batch(SubjectsHost host, params (string Type, string Purpose)[] events) => new
    {
        events = events.Select((e, i) => new
        {
            type = e.Type,
            purpose = e.Purpose,
            at = host.Time.GetUtcNow(),
            page = $"/domains/search?q=example{i}.cn",
            target = "result-1",
            data = new Dictionary<string, string> { ["lang"] = "zh-CN", ["screen"] = "1920x1080" },
        }),
    };

    private static JsonContent Json(object body) => JsonContent.Create(body);

    private static async Task<JsonElement> PostAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsync("/api/v1/events", Json(body), Cancel);
        return await AnswerAsync(response);
    }

    private static async Task<JsonElement> AnswerAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(type, problem.GetProperty("type").GetString());
        return problem;
    }

    private static async Task ConsentAsync(HttpClient client, string purpose)
    {
        using var response = await client.PutAsJsonAsync($"/api/v1/me/consents/{purpose}", new { granted = true }, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The contract's query: what a reviewer would run against the store.</summary>
    private static async Task<Dictionary<string, long>> StoredByPurposeAsync(SubjectsHost host)
    {
        await using var db = host.Store.NewDataContext();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(Cancel);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT purpose, count(*) FROM log_events GROUP BY purpose";
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(Cancel);
        while (await reader.ReadAsync(Cancel))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }
}
