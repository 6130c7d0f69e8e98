using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Rights;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Host.Tests.Rights;

public sealed class RequestsApiTests
{
    private const string Mine = "/api/v1/me/requests";
    private const string Reports = "/api/v1/reports";
    private const string Admin = "/api/v1/admin/requests";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.3")]
    public async Task MeRequests_FiledThenHandledByStaff_SubjectSeesHistoryDeadlineAnswerAndExtensionReason(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (subjectId, subject) = await host.SignedInSubjectAsync("asker@example.com", 1, Cancel);
        using var staff = host.StaffClient(await host.AddStaffAsync("ana", Cancel));

        using var filed = await subject.PostAsJsonAsync(Mine, new { kind = "access", channel = "privacy-center", text = "What do you hold about me?" }, Cancel);
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        var receipt = await filed.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        var id = receipt.GetProperty("id").GetGuid();
        var firstDue = receipt.GetProperty("dueAt").GetDateTimeOffset();
        using var list = await staff.GetAsync($"{Admin}?status=received&order=due", Cancel);
        Assert.Equal(id, Assert.Single((await list.Content.ReadFromJsonAsync<JsonElement>(Cancel)).EnumerateArray()).GetProperty("id").GetGuid());
        Assert.Equal(HttpStatusCode.OK, (await staff.PostAsJsonAsync($"{Admin}/{id}/assign", new { }, Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await staff.PostAsJsonAsync($"{Admin}/{id}/extend", new { reason = "Your log events take longer to collect." }, Cancel)).StatusCode);
        using var answered = await staff.PostAsJsonAsync($"{Admin}/{id}/answer", new { answer = "Here is everything we hold." }, Cancel);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal("answered", (await answered.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("status").GetString());

        using var mine = await subject.GetAsync(Mine, Cancel);
        using var one = await subject.GetAsync($"{Mine}/{id}", Cancel);

        var request = Assert.Single((await mine.Content.ReadFromJsonAsync<JsonElement>(Cancel)).EnumerateArray());
        Assert.Equal(("answered", "What do you hold about me?", "Here is everything we hold.", "Your log events take longer to collect."),
            (request.GetProperty("status").GetString(), request.GetProperty("text").GetString(), request.GetProperty("answer").GetString(),
                request.GetProperty("extensionReason").GetString()));
        Assert.Equal(firstDue, request.GetProperty("originalDueAt").GetDateTimeOffset());
        Assert.True(request.GetProperty("dueAt").GetDateTimeOffset() > firstDue);
        Assert.Equal(["received", "in-progress", "in-progress", "answered"], request.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("to").GetString()));
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        await using var db = host.Store.NewDataContext();
        var actions = await db.Set<AuditEntry>().Where(e => e.SubjectId == subjectId && e.Action.StartsWith("request.")).Select(e => e.Action).ToListAsync(Cancel);
        Assert.Contains("request.filed", actions);
        Assert.Contains("request.answered", actions);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.3")]
    public async Task MeRequests_AnotherSubjectsRequest_Is404AndNotListed(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, owner) = await host.SignedInSubjectAsync("owner@example.com", 1, Cancel);
        var (_, other) = await host.SignedInSubjectAsync("other@example.com", 2, Cancel);
        using var filed = await owner.PostAsJsonAsync(Mine, new { kind = "complaint", channel = "email", text = "You mailed me ads." }, Cancel);
        var id = (await filed.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("id").GetGuid();

        using var one = await other.GetAsync($"{Mine}/{id}", Cancel);
        using var list = await other.GetAsync(Mine, Cancel);
        using var asReport = await other.GetAsync($"{Reports}/{id}?token=x", Cancel);

        Assert.Equal(HttpStatusCode.NotFound, one.StatusCode);
        Assert.Empty((await list.Content.ReadFromJsonAsync<JsonElement>(Cancel)).EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, asReport.StatusCode);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.2")]
    public async Task Reports_Anonymous_TokenReadsTheAnswerAndWithoutItIs404(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        using var anonymous = host.Client();
        using var staff = host.StaffClient(await host.AddStaffAsync("ana", Cancel));

        using var filed = await anonymous.PostAsJsonAsync(Reports, new { kind = "report", channel = "privacy-center", text = "Your partner sells data." }, Cancel);
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        var receipt = await filed.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        var (id, token) = (receipt.GetProperty("id").GetGuid(), receipt.GetProperty("token").GetString()!);
        using var detail = await staff.GetAsync($"{Admin}/{id}", Cancel);
        var seen = await detail.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(("Your partner sells data.", true), (seen.GetProperty("text").GetString(), seen.GetProperty("anonymous").GetBoolean()));
        await staff.PostAsJsonAsync($"{Admin}/{id}/answer", new { answer = "We ended that contract." }, Cancel);

        using var read = await anonymous.GetAsync($"{Reports}/{id}?token={Uri.EscapeDataString(token)}", Cancel);
        using var noToken = await anonymous.GetAsync($"{Reports}/{id}", Cancel);
        using var wrongToken = await anonymous.GetAsync($"{Reports}/{id}?token={Uri.EscapeDataString(token[..^1] + (token[^1] == 'A' ? 'B' : 'A'))}", Cancel);

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("We ended that contract.", (await read.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("answer").GetString());
        Assert.Equal(HttpStatusCode.NotFound, noToken.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, wrongToken.StatusCode);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.2")]
    public async Task AdminRequests_SubjectToken_Is401AndChangesNothing(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, subject) = await host.SignedInSubjectAsync("subject@example.com", 1, Cancel);
        using var filed = await subject.PostAsJsonAsync(Mine, new { kind = "deletion", channel = "email", text = "Delete everything." }, Cancel);
        var id = (await filed.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("id").GetGuid();
        var before = await host.DumpAsync(Cancel);

        using var list = await subject.GetAsync(Admin, Cancel);
        using var answer = await subject.PostAsJsonAsync($"{Admin}/{id}/answer", new { answer = "Done by myself." }, Cancel);
        using var close = await subject.PostAsync($"{Admin}/{id}/close", null, Cancel);

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], new[] { list.StatusCode, answer.StatusCode, close.StatusCode });
        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S0.4")]
    public async Task Requests_BadInput_IsProblemDetailsAndChangesNothing(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, subject) = await host.SignedInSubjectAsync("subject@example.com", 1, Cancel);
        using var anonymous = host.Client();
        using var staff = host.StaffClient(await host.AddStaffAsync("ana", Cancel));
        using var filed = await subject.PostAsJsonAsync(Mine, new { kind = "question", channel = "email", text = "Why?" }, Cancel);
        var id = (await filed.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("id").GetGuid();
        await staff.PostAsJsonAsync($"{Admin}/{id}/extend", new { reason = "Busy." }, Cancel);
        var before = await host.DumpAsync(Cancel);

        var refusals = new (HttpResponseMessage Response, HttpStatusCode Status, string Type)[]
        {
            (await subject.PostAsJsonAsync(Mine, new { kind = "question", channel = "fax", text = "Why?" }, Cancel), HttpStatusCode.BadRequest, RequestsProblem("unknown-channel")),
            (await subject.PostAsJsonAsync(Mine, new { kind = "wish", channel = "email", text = "Why?" }, Cancel), HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input"),
            (await subject.PostAsJsonAsync(Mine, new { kind = "question", channel = "email", text = "" }, Cancel), HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input"),
            (await subject.PostAsJsonAsync(Mine, new { kind = "question", channel = "email", text = "Why?", subjectId = Guid.NewGuid() }, Cancel), HttpStatusCode.BadRequest, "urn:konzen:problem:malformed-body"),
            (await anonymous.PostAsJsonAsync(Reports, new { kind = "access", channel = "email", text = "Give me someone's data." }, Cancel), HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input"),
            (await staff.GetAsync($"{Admin}?status=lost", Cancel), HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input"),
            (await staff.PostAsJsonAsync($"{Admin}/{id}/extend", new { reason = "Still busy." }, Cancel), HttpStatusCode.Conflict, RequestsProblem("already-extended")),
            (await staff.PostAsync($"{Admin}/{id}/close", null, Cancel), HttpStatusCode.Conflict, RequestsProblem("request-status")),
            (await staff.PostAsJsonAsync($"{Admin}/{id}/assign", new { assignee = "nobody" }, Cancel), HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input"),
            (await staff.PostAsJsonAsync($"{Admin}/{id}/answer", new { answer = new string('x', PrivacyRequests.MaxTextLength + 1) }, Cancel), HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input"),
        };

        foreach (var (response, status, type) in refusals)
        {
            using (response)
            {
                Assert.Equal(status, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal(type, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("type").GetString());
            }
        }

        using var unknown = await staff.PostAsJsonAsync($"{Admin}/{Guid.NewGuid()}/answer", new { answer = "To whom?" }, Cancel);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }

    private static string RequestsProblem(string name) => $"urn:konzen:problem:{name}";
}
