using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Cessation;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Host.Tests.Cessation;

public sealed class CessationTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.5")]
    public async Task Service_AfterTheAnnouncement_ShowsTheBannerAndRefusesRegistrationAndCollectionWith410(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, subject) = await host.SignedInSubjectAsync("subject@example.com", 1, Cancel);
        using var anonymous = host.Client();
        var before = await anonymous.GetFromJsonAsync<JsonElement>("/api/v1/service", Cancel);
        Assert.False(before.GetProperty("ceasing").GetBoolean());
        Assert.DoesNotContain("service-cessation", await anonymous.GetStringAsync("/", Cancel), StringComparison.Ordinal);

        await using (var scope = host.App.Services.CreateAsyncScope())
        {
            var day = DateOnly.FromDateTime(host.Time.GetUtcNow().UtcDateTime).AddDays(10);
            Assert.Equal(CessationRefusal.None, (await scope.ServiceProvider.GetRequiredService<Cessations>().AnnounceAsync(day, "staff:test", Cancel)).Refusal);
        }

        var banner = await anonymous.GetFromJsonAsync<JsonElement>("/api/v1/service", Cancel);
        Assert.True(banner.GetProperty("ceasing").GetBoolean());
        Assert.False(banner.GetProperty("ceased").GetBoolean());
        var ceasesAt = banner.GetProperty("ceasesAt").GetDateTimeOffset();
        Assert.Equal(ceasesAt.AddDays(30), banner.GetProperty("deletionDueAt").GetDateTimeOffset());
        var front = await anonymous.GetStringAsync("/", Cancel);
        Assert.Contains($"This service ends on {ceasesAt:yyyy-MM-dd}.", front, StringComparison.Ordinal);

        var dump = await host.DumpAsync(Cancel);
        using var registration = await anonymous.PostAsJsonAsync("/api/v1/registrations", host.Registration(email: "late@example.com"), Cancel);
        using var location = await subject.PostAsJsonAsync("/api/v1/me/locations",
            new { latitude = 31.23, longitude = 121.47, accuracy = 10, source = "gps", positioning = "on", time = host.Time.GetUtcNow() }, Cancel);
        using var events = await subject.PostAsJsonAsync("/api/v1/events",
            new { events = new[] { new { type = "page-view", purpose = "security", at = host.Time.GetUtcNow(), page = "/domains" } } }, Cancel);

        foreach (var response in new[] { registration, location, events })
        {
            Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
            Assert.Equal("urn:konzen:problem:service-ceasing", problem.GetProperty("type").GetString());
        }

        Assert.Equal(dump, await host.DumpAsync(Cancel));

        // The subject reads the notice in the privacy center.
        var notices = await subject.GetFromJsonAsync<JsonElement>("/api/v1/me/notifications", Cancel);
        Assert.Contains(notices.EnumerateArray(), n => n.GetProperty("template").GetString() == "service-cessation");
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.5")]
    public async Task Cease_FromTheCli_AnnouncesOnceThenRunsAndPrintsTheReport(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        using var folder = new TempFolder();
        await using (var db = store.NewDataContext())
        {
            db.AddRange(VaultServices.NewSubject(), VaultServices.NewSubject(), VaultServices.NewSubject());
            await db.SaveChangesAsync(Cancel);
        }

        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        var neither = await Cli.RunOnAsync(store, folder.Path, "cease");
        var notAnnounced = await Cli.RunOnAsync(store, folder.Path, "cease", "--run");
        var past = await Cli.RunOnAsync(store, folder.Path, "cease", "--date", "2020-01-01");
        var announced = await Cli.RunOnAsync(store, folder.Path, "cease", "--date", today);
        var again = await Cli.RunOnAsync(store, folder.Path, "cease", "--date", "2099-01-01");
        var run = await Cli.RunOnAsync(store, folder.Path, "cease", "--run");

        Assert.NotEqual(0, neither.Exit);
        Assert.Equal(1, notAnnounced.Exit);
        Assert.Contains("no end of the service is announced", notAnnounced.Error, StringComparison.Ordinal);
        Assert.Equal((1, ""), (past.Exit, past.Output));
        Assert.Contains("in the past", past.Error, StringComparison.Ordinal);
        Assert.Equal((0, ""), (announced.Exit, announced.Error));
        Assert.StartsWith($"service cessation announced: the service stops {today}", announced.Output, StringComparison.Ordinal);
        Assert.EndsWith("notice queued for 3 subjects\n", announced.Output, StringComparison.Ordinal);
        Assert.Equal((1, ""), (again.Exit, again.Output));
        Assert.Contains("announced already", again.Error, StringComparison.Ordinal);
        Assert.Equal((0, ""), (run.Exit, run.Error));
        Assert.StartsWith("service ceased ", run.Output, StringComparison.Ordinal);
        Assert.Contains("subjects: 3; notified: 3; keys destroyed: 3 subject", run.Output, StringComparison.Ordinal);
        Assert.Contains("deleted subjects: 3", run.Output, StringComparison.Ordinal);

        await using (var keys = store.NewKeyContext())
        {
            Assert.Equal(0, await keys.SubjectKeys.CountAsync(Cancel));
        }

        await using var data = store.NewDataContext();
        Assert.Equal(0, await data.Subjects.CountAsync(Cancel));
        Assert.NotNull((await data.Set<CessationRecord>().SingleAsync(Cancel)).Report);
    }
}
