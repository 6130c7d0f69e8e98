using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Staff;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Host.Tests.Retention;

public sealed class RetentionEndpointsTests
{
    private const string Report = "/api/v1/admin/retention";
    private const string Sweeps = "/api/v1/admin/retention/sweeps";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.2")]
    public async Task AdminRetention_StaffRunsASweep_ExpiredPointGoneAndTheReportShowsItWithWhatIsDue(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (subjectId, _) = await host.SignedInSubjectAsync("located@example.com", 1, Cancel);
        var now = host.Time.GetUtcNow();
        now = now.AddTicks(-(now.UtcTicks % TimeSpan.TicksPerMillisecond));
        var young = await AddPointAsync(host, subjectId, now.AddDays(-30));
        await AddPointAsync(host, subjectId, now.AddDays(-91));
        using var staff = host.StaffClient(await host.AddStaffAsync("ana", Cancel));

        using var swept = await staff.PostAsync(Sweeps, null, Cancel);
        using var report = await staff.GetAsync(Report, Cancel);

        Assert.Equal(HttpStatusCode.OK, swept.StatusCode);
        var sweep = await swept.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(("staff:ana", "completed"), (sweep.GetProperty("actor").GetString(), sweep.GetProperty("outcome").GetString()));
        Assert.Equal(1, Count(sweep, LocationIntake.PreciseCategory));
        await using (var db = host.Store.NewDataContext())
        {
            Assert.Equal([young], await db.Set<LocationPoint>().Select(p => p.Id).ToListAsync(Cancel));
            var actions = await db.Set<AuditEntry>().Where(e => e.Actor == "staff:ana").Select(e => e.Action).ToListAsync(Cancel);
            Assert.Equal(["retention.swept", "retention.viewed"], actions.Order(StringComparer.Ordinal));
        }

        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        var json = await report.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        var last = Assert.Single(json.GetProperty("sweeps").EnumerateArray());
        Assert.Equal(sweep.GetProperty("id").GetGuid(), last.GetProperty("id").GetGuid());
        Assert.Equal(1, Count(last, LocationIntake.PreciseCategory));
        var due = json.GetProperty("due").EnumerateArray().Single(d => d.GetProperty("category").GetString() == LocationIntake.PreciseCategory);
        Assert.Equal("P90D", due.GetProperty("retention").GetString());
        Assert.Equal(now.AddDays(60), due.GetProperty("nextExpiry").GetDateTimeOffset());
        Assert.True(due.GetProperty("swept").GetBoolean());
        var clicks = json.GetProperty("due").EnumerateArray().Single(d => d.GetProperty("category").GetString() == "user.behavior.clicks");
        Assert.Equal(("P6M", JsonValueKind.Null, true), (clicks.GetProperty("retention").GetString(), clicks.GetProperty("nextExpiry").ValueKind, clicks.GetProperty("swept").GetBoolean()));

        // Nothing sweeps what lasts until the account is cancelled: the report says so rather than hiding it.
        var email = json.GetProperty("due").EnumerateArray().Single(d => d.GetProperty("category").GetString() == "user.contact.email");
        Assert.False(email.GetProperty("swept").GetBoolean());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S3.1")]
    public async Task AdminRetention_SubjectTokenOrCookie_IsRefusedAndSweepsNothing(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, subject) = await host.SignedInSubjectAsync("subject@example.com", 1, Cancel);
        using var cookie = host.Client();
        using var signIn = await cookie.PostAsJsonAsync("/api/v1/sessions", new { email = "subject@example.com", password = "correct horse battery", mode = "cookie" }, Cancel);
        Assert.Equal(HttpStatusCode.OK, (await cookie.GetAsync("/api/v1/me", Cancel)).StatusCode);

        foreach (var client in new[] { subject, cookie })
        {
            await AssertUnauthorizedAsync(await client.GetAsync(Report, Cancel));
            await AssertUnauthorizedAsync(await client.PostAsync(Sweeps, null, Cancel));
        }

        await using var db = host.Store.NewDataContext();
        Assert.Empty(await db.Set<Privacy.Retention.RetentionSweepRecord>().ToListAsync(Cancel));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S3.1")]
    public async Task Me_StaffToken_SignsNoOneInAsASubject(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        using var staff = host.StaffClient(await host.AddStaffAsync("ana", Cancel));

        using var me = await staff.GetAsync("/api/v1/me", Cancel);
        using var consents = await staff.GetAsync("/api/v1/me/consents", Cancel);

        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, consents.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await staff.GetAsync(Report, Cancel)).StatusCode);
    }

    [Fact]
    public async Task AdminRetention_MissingUnknownOrDisabledStaffToken_Is401Problem()
    {
        await using var host = await SubjectsHost.StartAsync(DatabaseProvider.Sqlite, Cancel);
        var token = await host.AddStaffAsync("ana", Cancel);
        var wrong = token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1];
        using var anonymous = host.Client();
        using var unknown = host.StaffClient(wrong);
        using var valid = host.StaffClient(token);
        Assert.Equal(HttpStatusCode.OK, (await valid.GetAsync(Report, Cancel)).StatusCode);
        await using (var scope = host.App.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<StaffDirectory>().DisableAsync("ana", "staff:cli", Cancel);
        }

        foreach (var client in new[] { anonymous, unknown, valid })
        {
            var response = await client.GetAsync(Report, Cancel);
            await AssertUnauthorizedAsync(response);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        }
    }

    [Fact]
    public async Task AdminRetention_LimitOutOfRange_Is400ProblemAndWritesNothing()
    {
        await using var host = await SubjectsHost.StartAsync(DatabaseProvider.Sqlite, Cancel);
        using var staff = host.StaffClient(await host.AddStaffAsync("ana", Cancel));
        var before = await host.DumpAsync(Cancel);

        using var response = await staff.GetAsync($"{Report}?limit=0", Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("urn:konzen:problem:invalid-input", (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("type").GetString());
        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }

    private static async Task<Guid> AddPointAsync(SubjectsHost host, Guid subjectId, DateTimeOffset recordedAt)
    {
        var point = new LocationPoint
        {
            Id = Guid.NewGuid(),
            SubjectId = subjectId,
            RecordedAt = recordedAt,
            ReceivedAt = recordedAt,
            Source = LocationSource.Wifi,
            Accuracy = 30,
            Coordinates = [1, 2, 3],
        };
        await using var db = host.Store.NewDataContext();
        db.Add(point);
        await db.SaveChangesAsync(Cancel);
        return point.Id;
    }

    private static int Count(JsonElement sweep, string category) =>
        sweep.GetProperty("counts").EnumerateArray().Single(c => c.GetProperty("category").GetString() == category).GetProperty("deleted").GetInt32();

    private static async Task AssertUnauthorizedAsync(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(401, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("status").GetInt32());
        }
    }
}
