using Konzen.Privacy.Collection;
using Konzen.Privacy.Retention;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Collection;

/// <summary>Log events leave when their category's retention ends; the pseudonym keys once every event of their period has.</summary>
public sealed class EventRetentionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.2")]
    public async Task Sweep_PastRetention_DeletesExpiredEventsPerCategoryAndKeepsTheRest(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        await bed.RecordAsync(EventActor.Anonymous, [bed.Event("click"), bed.Event("click"), bed.Event("page-view")]);
        bed.Time.Advance(TimeSpan.FromDays(120));
        await bed.RecordAsync(EventActor.Anonymous, [bed.Event("click"), bed.Event("device")]);

        // Six months (the policy's retention for these categories) after the first batch, and a day.
        var now = EventBed.Start.AddMonths(6).AddDays(1);
        bed.Time.SetUtcNow(now);
        var counts = await SweepAsync(bed, now);

        Assert.Equal(2, counts.Single(c => c.Category == "user.behavior.clicks").Deleted);
        Assert.Equal(1, counts.Single(c => c.Category == "user.behavior.browsing_history").Deleted);
        Assert.Equal(0, counts.Single(c => c.Category == "user.device").Deleted);
        var left = await bed.EventsAsync();
        Assert.Equal(["user.behavior.clicks", "user.device"], left.Select(e => e.Category).Order(StringComparer.Ordinal));
        Assert.All(left, e => Assert.Equal(EventBed.Start.AddDays(120), e.At));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.2")]
    public async Task Sweep_WithinRetention_TouchesNothing(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        await bed.RecordAsync(EventActor.Anonymous, [bed.Event("click"), bed.Event("device")]);
        var now = EventBed.Start.AddMonths(6).AddHours(-1);
        bed.Time.SetUtcNow(now);

        var counts = await SweepAsync(bed, now);

        Assert.All(counts, c => Assert.Equal(0, c.Deleted));
        Assert.Equal(2, (await bed.EventsAsync()).Count);
        await using var keys = bed.Store.NewKeyContext();
        Assert.Single(await keys.Set<EventEpochKey>().ToListAsync(Ct));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.2")]
    public async Task Sweep_AfterEveryEventOfAPeriodExpired_DestroysItsKeyAndPseudonyms(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        await bed.RecordAsync(EventActor.Visitor(Guid.NewGuid()), [bed.Event()]);
        var first = await EpochsAsync(bed);

        // The first period ends within 30 days; its last possible event expires six months after that.
        var now = EventBed.Start.AddDays(30).AddMonths(6).AddDays(2);
        bed.Time.SetUtcNow(now);
        await bed.RecordAsync(EventActor.Visitor(Guid.NewGuid()), [bed.Event()]);
        var counts = await SweepAsync(bed, now);

        Assert.Equal(1, counts.Single(c => c.Category == EventRetention.EpochKeysName).Deleted);
        var remaining = await EpochsAsync(bed);
        Assert.DoesNotContain(first.Single(), remaining);
        Assert.Single(remaining);
        await using var db = bed.Store.NewDataContext();
        Assert.Equal(remaining, await db.Set<EventPseudonym>().Select(p => p.Epoch).ToListAsync(Ct));
        Assert.Single(await bed.EventsAsync());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Due_WithEvents_NamesWhenTheOldestOfEachCategoryExpires(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        await bed.RecordAsync(EventActor.Anonymous, [bed.Event("click")]);

        await using var scope = bed.Services.CreateScope();
        var due = await Target(scope).DueAsync(Ct);

        Assert.Equal(EventBed.Start.AddMonths(6), due.Single(d => d.Category == "user.behavior.clicks").NextExpiry);
        Assert.Null(due.Single(d => d.Category == "user.device").NextExpiry);
    }

    private static async Task<IReadOnlyList<RetentionCount>> SweepAsync(EventBed bed, DateTimeOffset now)
    {
        await using var scope = bed.Services.CreateScope();
        return await Target(scope).SweepAsync(now, Ct);
    }

    private static EventRetention Target(AsyncServiceScope scope) =>
        scope.ServiceProvider.GetServices<IRetentionTarget>().OfType<EventRetention>().Single();

    private static async Task<List<int>> EpochsAsync(EventBed bed)
    {
        await using var keys = bed.Store.NewKeyContext();
        return await keys.Set<EventEpochKey>().Select(k => k.Epoch).ToListAsync(Ct);
    }
}
