using System.Net;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Rights;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Tests.Collection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Rights;

public sealed class DeletionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    public async Task Delete_LogEvents_RemovesTheSubjectsEventsAndListsNetworkLogsKeptWithTheirDate(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var subject = await CancellationBed.NewSubjectAsync(bed);
        var other = await CancellationBed.NewSubjectAsync(bed);
        await CancellationBed.FillAsync(bed, subject, "a.delete@example.cn", "+8613800138001", "/domains/a");
        await CancellationBed.FillAsync(bed, other, "b.keep@example.cn", "+8613800138002", "/domains/b");
        var withIp = await bed.RecordAsync(EventActor.Subject(subject), [bed.Event(purpose: "security")], address: IPAddress.Parse("203.0.113.7"));
        Assert.Equal(1, withIp.Stored);
        var networkAt = bed.Time.GetUtcNow();
        var before = await bed.EventsAsync();
        Assert.Contains(before, e => e.Ip is not null);

        var report = await CancellationBed.WithAsync(bed, s => s.GetRequiredService<Deletions>().DeleteAsync(subject, Deletions.LogEvents, Ct));

        Assert.NotNull(report);
        Assert.Equal(2, Assert.Single(report.Deleted).Rows);
        var network = Assert.Single(report.Kept, k => k.Category == EventVocabulary.IpCategory);
        Assert.Equal(1, network.Rows);
        Assert.Equal(networkAt.AddMonths(6).Date, network.DeletedBy!.Value.Date);
        Assert.Contains(report.Kept, k => k.Category == "consent-history" && k.DeletedBy is null);
        var after = await bed.EventsAsync();
        Assert.Equal(before.Count - 2, after.Count);
        Assert.Single(after, e => e.Ip is not null);

        // The other subject's two events are untouched, and the location history was not asked for.
        await using var db = bed.Store.NewDataContext();
        Assert.Equal(2, await db.Set<LocationPoint>().CountAsync(Ct));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    public async Task Delete_Everything_RemovesLocationHistoryAndEventsButKeepsTheAccount(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var subject = await CancellationBed.NewSubjectAsync(bed);
        await CancellationBed.FillAsync(bed, subject, "a.delete@example.cn", "+8613800138001", "/domains/a");

        var report = await CancellationBed.WithAsync(bed, s => s.GetRequiredService<Deletions>().DeleteAsync(subject, null, Ct));

        Assert.NotNull(report);
        Assert.Equal([Deletions.LocationHistory, Deletions.LogEvents], report.Deleted.Select(d => d.Category));
        Assert.Equal(1, report.Deleted[0].Rows);
        Assert.Contains(report.Kept, k => k.Category == "account" && k.Rows == 3);
        await using var db = bed.Store.NewDataContext();
        Assert.False(await db.Set<LocationPoint>().AnyAsync(Ct));
        Assert.False(await db.Set<PositioningState>().AnyAsync(Ct));
        Assert.False(await db.Set<LogEvent>().AnyAsync(Ct));
        Assert.Equal(3, await db.PersonalFields.CountAsync(Ct));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Delete_UnknownOrKeptCategory_IsRefusedAndChangesNothing(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var subject = await CancellationBed.NewSubjectAsync(bed);
        await CancellationBed.FillAsync(bed, subject, "a.delete@example.cn", "+8613800138001", "/domains/a");
        var rows = await bed.RawRowsAsync();

        foreach (var category in new[] { "consent-history", "account", "LOCATION-HISTORY", "" })
        {
            Assert.Null(await CancellationBed.WithAsync(bed, s => s.GetRequiredService<Deletions>().DeleteAsync(subject, category, Ct)));
        }

        Assert.Equal(rows, await bed.RawRowsAsync());
    }
}
