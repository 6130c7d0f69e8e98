using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Storage;

namespace Konzen.Privacy.Host.Tests.Notices;

public sealed class SurveysApiTests
{
    private const string Surveys = "/api/v1/admin/surveys";

    // The dispatcher stays off: its mail would shift the numbering of the sign-in codes.
    private static readonly Dictionary<string, string> Settings = new(StringComparer.Ordinal) { ["Notifications:Enabled"] = "false" };

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static object Body(string? titleZh = "2027 域名搜索满意度调查", string linkEn = "https://surveys.konzen.example/s/2027", string titleEn = "Domain search satisfaction 2027") => new
    {
        title = new Dictionary<string, string?> { ["en"] = titleEn, ["zh-CN"] = titleZh },
        link = new Dictionary<string, string?> { ["en"] = linkEn, ["zh-CN"] = "https://surveys.konzen.example/s/2027?lang=zh-CN" },
    };

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S4.8")]
    public async Task PostSurvey_StaffToken_QueuesOnlyForTheOptedInSubjectWhoSeesItInNotificationsAndExport(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel, Settings);
        var (_, optedIn) = await host.SignedInSubjectAsync("opted.in@example.com", 1, Cancel);
        var (_, declined) = await host.SignedInSubjectAsync("declined@example.com", 2, Cancel);
        using (var consent = await optedIn.PutAsJsonAsync("/api/v1/me/consents/functional.service.surveys", new { granted = true }, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, consent.StatusCode);
        }

        using var response = await host.StaffClient(await host.AddStaffAsync("ana", Cancel)).PostAsJsonAsync(Surveys, Body(), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(1, answer.GetProperty("queued").GetInt32());
        var notice = Assert.Single((await optedIn.GetFromJsonAsync<JsonElement>("/api/v1/me/notifications", Cancel)).EnumerateArray());
        Assert.Equal(("survey-invitation", "Survey invitation: Domain search satisfaction 2027"), (notice.GetProperty("template").GetString(), notice.GetProperty("subject").GetString()));
        Assert.Empty((await declined.GetFromJsonAsync<JsonElement>("/api/v1/me/notifications", Cancel)).EnumerateArray());
        var export = await optedIn.GetStringAsync("/api/v1/me/data", Cancel);
        Assert.Contains("survey-invitation", export, StringComparison.Ordinal);
        Assert.DoesNotContain("survey-invitation", await declined.GetStringAsync("/api/v1/me/data", Cancel), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S4.8")]
    public async Task PostSurvey_BadBodyOrNotStaff_RefusedAndTheStoreIsUnchanged(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel, Settings);
        var (_, subject) = await host.SignedInSubjectAsync("opted.in@example.com", 1, Cancel);
        using (var consent = await subject.PutAsJsonAsync("/api/v1/me/consents/functional.service.surveys", new { granted = true }, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, consent.StatusCode);
        }

        var staff = host.StaffClient(await host.AddStaffAsync("ana", Cancel));
        var before = await host.DumpAsync(Cancel);

        foreach (var (body, field) in new[] { (Body(titleZh: null), "title.zh-CN"), (Body(linkEn: "ftp://surveys.konzen.example/s"), "link.en"), (Body(titleEn: ""), "title.en") })
        {
            using var refused = await staff.PostAsJsonAsync(Surveys, body, Cancel);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(Cancel);
            Assert.Equal("urn:konzen:problem:invalid-input", problem.GetProperty("type").GetString());
            Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        }

        using (var asSubject = await subject.PostAsJsonAsync(Surveys, Body(), Cancel))
        using (var anonymous = await host.Client().PostAsJsonAsync(Surveys, Body(), Cancel))
        {
            Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (asSubject.StatusCode, anonymous.StatusCode));
        }

        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }
}
