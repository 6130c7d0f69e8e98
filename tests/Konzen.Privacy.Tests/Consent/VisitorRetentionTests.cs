using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Retention;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Consent;

/// <summary>Visitors' consent records expire with their cookie identifier; subjects' consent records do not.</summary>
public sealed class VisitorRetentionTests
{
    private const string Analytics = "analytics.reporting";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.2")]
    public async Task Sweep_PastTheCookieRetention_DeletesVisitorsWhoseLastChoiceExpiredAndKeepsTheRest(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);
        var subject = await node.AddSubjectAsync(Cancel);
        await node.WithLedgerAsync(l => l.RecordAsync(subject, Analytics, true, ConsentMethod.Web, ConsentEvidence.None, $"subject:{subject}", Cancel));
        var choices = new Dictionary<string, bool> { [Analytics] = true };
        var stale = (await node.WithLedgerAsync(l => l.RecordVisitorChoiceAsync(null, choices, ConsentSet.None, ConsentEvidence.None, Cancel))).VisitorId;
        var returning = (await node.WithLedgerAsync(l => l.RecordVisitorChoiceAsync(null, choices, ConsentSet.None, ConsentEvidence.None, Cancel))).VisitorId;
        var chosenAt = (await ChoiceTimesAsync(store, stale)).Max();
        await MoveLastChoiceAsync(store, returning, chosenAt.AddDays(200));
        await node.WithLedgerAsync(l => l.GetStateAsync(stale, Cancel).AsTask());
        var cachedBefore = node.Cache.TryGet(stale, out _);

        var early = await SweepAsync(node, chosenAt.AddMonths(6));
        var due = await WithRetentionAsync(node, r => r.DueAsync(Cancel));
        var late = await SweepAsync(node, chosenAt.AddYears(1).AddDays(2));
        var staleState = await node.WithLedgerAsync(l => l.GetStateAsync(stale, Cancel).AsTask());

        await using var db = store.NewDataContext();
        Assert.Equal(new RetentionCount(VisitorRetention.Category, 0, 0), Assert.Single(early));
        Assert.Equal(chosenAt.AddYears(1), Assert.Single(due).NextExpiry);
        Assert.Equal(new RetentionCount(VisitorRetention.Category, 1, 0), Assert.Single(late));
        Assert.True(cachedBefore);
        Assert.False(node.Cache.TryGet(stale, out _));
        Assert.Equal(RegionId.Undeclared, staleState.Region);
        Assert.Equal([returning], await db.Set<Visitor>().Select(v => v.Id).ToListAsync(Cancel));
        Assert.Empty(await ChoiceTimesAsync(store, stale));
        Assert.NotEmpty(await ChoiceTimesAsync(store, returning));
        Assert.Single(await ChoiceTimesAsync(store, subject));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Due_WithoutVisitors_IsNothing(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);

        var due = await WithRetentionAsync(node, r => r.DueAsync(Cancel));

        Assert.Equal(new RetentionDue(VisitorRetention.Category, null), Assert.Single(due));
    }

    private static Task<IReadOnlyList<RetentionCount>> SweepAsync(ConsentNode node, DateTimeOffset now) =>
        WithRetentionAsync(node, r => r.SweepAsync(now, Cancel));

    private static async Task<T> WithRetentionAsync<T>(ConsentNode node, Func<IRetentionTarget, Task<T>> action)
    {
        await using var scope = node.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetServices<IRetentionTarget>().OfType<VisitorRetention>().Single());
    }

    private static async Task<List<DateTimeOffset>> ChoiceTimesAsync(TestStore store, Guid id)
    {
        await using var db = store.NewDataContext();
        return await db.Set<ConsentEvent>().Where(e => e.SubjectId == id).Select(e => e.At).ToListAsync(Cancel);
    }

    /// <summary>Dates the visitor's newest consent event later, as a choice made then would be.</summary>
    private static async Task MoveLastChoiceAsync(TestStore store, Guid visitor, DateTimeOffset at)
    {
        await using var db = store.NewDataContext();
        var newest = await db.Set<ConsentEvent>().Where(e => e.SubjectId == visitor).OrderByDescending(e => e.Id).FirstAsync(Cancel);
        newest.At = at;
        await db.SaveChangesAsync(Cancel);
    }
}
