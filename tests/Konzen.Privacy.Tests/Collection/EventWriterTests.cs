using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Collection;

/// <summary>The group-commit writer: acknowledged means committed, a failed commit keeps nothing, concurrent batches all land.</summary>
public sealed class EventWriterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Record_WhenItReturns_EventsAreCommittedForEveryReader(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);

        var result = await bed.RecordAsync(EventActor.Anonymous, [.. Enumerable.Range(0, 300).Select(_ => bed.Event())]);

        // A new connection of another process would see the same: only committed rows are visible to it.
        Assert.Equal(300, result.Stored);
        Assert.Equal(300, (await bed.EventsAsync()).Count);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Write_WhenTheCommitFails_CallerFailsAndNothingIsStored(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var writer = bed.Services.Root.GetRequiredService<EventWriter>();
        var row = new EventRow("essential.service.security", "user.behavior.clicks", "click", bed.Time.GetUtcNow(), null, new byte[40]);

        // The events are inserted first; the audit entry, appended last, is refused (no actor): the
        // transaction rolls back with the events in it, and the caller is told.
        var broken = new EventBatch(1, new byte[32], false, bed.Time.GetUtcNow(), [row, row, row], new AuditRecord(string.Empty, "events.recorded"));
        await Assert.ThrowsAsync<EventWriteException>(() => writer.WriteAsync(broken, Ct));

        Assert.Empty(await bed.EventsAsync());
        await using var db = bed.Store.NewDataContext();
        Assert.Empty(await db.Set<EventPseudonym>().ToListAsync(Ct));

        // The writer goes on: the next batch is stored.
        var result = await bed.RecordAsync(EventActor.Anonymous, [bed.Event()]);
        Assert.Equal(1, result.Stored);
        Assert.Single(await bed.EventsAsync());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Record_ManyConcurrentBatches_AllStoredWithOneAuditEntryEach(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var subjects = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            subjects.Add(await bed.NewSubjectAsync("analytics.reporting"));
        }

        var audits = await bed.AuditCountAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => bed.RecordAsync(
            i % 5 == 4 ? EventActor.Anonymous : EventActor.Subject(subjects[i % 4]),
            [.. Enumerable.Range(0, 250).Select(j => bed.Event(purpose: j % 2 == 0 ? "analytics" : "security"))])));

        var expected = results.Sum(r => r.Stored);
        Assert.Equal((40 * 250) - (8 * 125), expected);
        Assert.Equal(expected, (await bed.EventsAsync()).Count);
        Assert.Equal(audits + 40, await bed.AuditCountAsync());
        await using var db = bed.Store.NewDataContext();
        Assert.True((await AuditVerifier.VerifyAsync(db, Ct)).Intact);
        Assert.Equal(5, await db.Set<EventPseudonym>().CountAsync(Ct));
    }
}
