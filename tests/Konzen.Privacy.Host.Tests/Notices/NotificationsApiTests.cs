using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Staff;
using Konzen.Privacy.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Host.Tests.Notices;

public sealed class NotificationsApiTests
{
    private const string Mine = "/api/v1/me/notifications";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static Dictionary<string, string> Values => new(StringComparer.Ordinal)
    {
        ["from"] = "Konzen",
        ["to"] = "Acme Domains Ltd",
        ["effective"] = "2027-01-01",
        ["policyVersion"] = "1.0.0",
        ["policyHash"] = "abc",
    };

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task MeNotifications_InAppNotice_ListedInTheChosenLanguageAndReadOnlyByItsSubject(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (subjectId, subject) = await host.SignedInSubjectAsync("reader@example.com", 1, Cancel);
        var (_, other) = await host.SignedInSubjectAsync("other@example.com", 2, Cancel);
        using (var language = await subject.PutAsJsonAsync($"{Mine}/language", new { language = "zh-CN" }, Cancel))
        {
            Assert.Equal(HttpStatusCode.NoContent, language.StatusCode);
        }

        await using (var scope = host.App.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<NotificationOutbox>().EnqueueAsync(subjectId, NotificationTemplates.ControllerTransferred, Values, Cancel);
        }

        var list = await subject.GetFromJsonAsync<JsonElement>(Mine, Cancel);
        var notice = Assert.Single(list.EnumerateArray());
        Assert.Equal(("controller-transferred", "zh-CN", "Acme Domains Ltd 现在负责处理您的个人信息"),
            (notice.GetProperty("template").GetString(), notice.GetProperty("language").GetString(), notice.GetProperty("subject").GetString()));
        var id = notice.GetProperty("id").GetGuid();
        Assert.Empty((await other.GetFromJsonAsync<JsonElement>(Mine, Cancel)).EnumerateArray());

        using (var foreign = await other.PostAsync($"{Mine}/{id}/read", null, Cancel))
        using (var own = await subject.PostAsync($"{Mine}/{id}/read", null, Cancel))
        using (var badLanguage = await subject.PutAsJsonAsync($"{Mine}/language", new { language = "fr" }, Cancel))
        {
            Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NoContent, HttpStatusCode.BadRequest), (foreign.StatusCode, own.StatusCode, badLanguage.StatusCode));
        }

        var after = Assert.Single((await subject.GetFromJsonAsync<JsonElement>(Mine, Cancel)).EnumerateArray());
        Assert.NotEqual(JsonValueKind.Null, after.GetProperty("readAt").ValueKind);
        using var anonymous = await host.Client().GetAsync(Mine, Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task AdminSummary_StaffToken_CountsWithoutContentAndSubjectsAreRefused(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (subjectId, subject) = await host.SignedInSubjectAsync("counted@example.com", 1, Cancel);
        string token;
        await using (var scope = host.App.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<NotificationOutbox>().EnqueueAsync(subjectId, NotificationTemplates.ControllerTransferred, Values, Cancel);
            token = (await scope.ServiceProvider.GetRequiredService<StaffDirectory>().AddAsync("ana", "staff:cli", Cancel)).Token!;
        }

        var staff = host.Client();
        staff.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await staff.GetAsync("/api/v1/admin/notifications/summary", Cancel);
        using var asSubject = await subject.GetAsync("/api/v1/admin/notifications/summary", Cancel);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Unauthorized), (response.StatusCode, asSubject.StatusCode));
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.DoesNotContain("Acme", body, StringComparison.Ordinal);
        Assert.DoesNotContain(subjectId.ToString(), body, StringComparison.OrdinalIgnoreCase);
        var counts = JsonDocument.Parse(body).RootElement.EnumerateArray()
            .Select(c => (c.GetProperty("channel").GetString(), c.GetProperty("status").GetString(), c.GetProperty("count").GetInt32())).ToList();
        Assert.Equal([("in-app", "sent", 1), ("email", "pending", 1)], counts);
    }
}
