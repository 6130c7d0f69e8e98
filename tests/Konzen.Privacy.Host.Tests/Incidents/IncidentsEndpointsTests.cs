using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Incidents;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Host.Tests.Incidents;

public sealed class IncidentsEndpointsTests
{
    private const string Incidents = "/api/v1/admin/incidents";

    private static readonly string[] Email = ["user.contact.email"];
    private static readonly string[] Genome = ["user.genome"];
    private static readonly string[] Database = ["database"];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S3.3")]
    public async Task AdminIncidents_StaffRecordsOne_TheSubjectIsFoundAndNotifiedAndStaffReadTheReport(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (subjectId, subject) = await host.SignedInSubjectAsync("subject@example.com", 1, Cancel);
        using var staff = host.StaffClient(await host.AddStaffAsync("ana", Cancel));
        var now = host.Time.GetUtcNow();

        using var created = await staff.PostAsJsonAsync(Incidents, new
        {
            detectedAt = now,
            occurredFrom = now.AddHours(-1),
            occurredTo = now,
            categories = Email,
            stores = Database,
            cause = "A leaked database credential.",
            measures = "The credential was revoked.",
        }, Cancel);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var report = await created.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal((1, 1), (report.GetProperty("subjectsAffected").GetInt32(), report.GetProperty("subjectsNotified").GetInt32()));
        var id = report.GetProperty("id").GetGuid();
        Assert.Equal($"{Incidents}/{id}", created.Headers.Location!.OriginalString);

        var listed = await staff.GetFromJsonAsync<JsonElement>(Incidents, Cancel);
        Assert.Equal(id, Assert.Single(listed.EnumerateArray()).GetProperty("id").GetGuid());
        var subjects = await staff.GetFromJsonAsync<Guid[]>($"{Incidents}/{id}/subjects", Cancel);
        Assert.Equal([subjectId], subjects!);
        Assert.Equal(HttpStatusCode.NotFound, (await staff.GetAsync($"{Incidents}/{Guid.NewGuid()}", Cancel)).StatusCode);

        var notices = await subject.GetFromJsonAsync<JsonElement>("/api/v1/me/notifications", Cancel);
        Assert.Contains(notices.EnumerateArray(), n => n.GetProperty("template").GetString() == "security-incident");

        // A subject is no staff member.
        Assert.Equal(HttpStatusCode.Unauthorized, (await subject.GetAsync(Incidents, Cancel)).StatusCode);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S3.3")]
    public async Task AdminIncidents_UnknownCategory_Is400ProblemAndStoresNothing(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        using var staff = host.StaffClient(await host.AddStaffAsync("ana", Cancel));
        var now = host.Time.GetUtcNow();

        using var refused = await staff.PostAsJsonAsync(Incidents, new
        {
            detectedAt = now, occurredFrom = now.AddHours(-1), occurredTo = now,
            categories = Genome, stores = Database, cause = "Unknown.", measures = "None yet.",
        }, Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal("urn:konzen:problem:invalid-input", problem.GetProperty("type").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty("categories", out _));
        await using var db = host.Store.NewDataContext();
        Assert.Empty(await db.Set<Incident>().ToListAsync(Cancel));
    }
}
