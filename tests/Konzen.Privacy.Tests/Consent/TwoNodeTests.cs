using System.Diagnostics;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Consent;

/// <summary>Two nodes on one PostgreSQL: a withdrawal on one holds on the other without a restart.</summary>
public sealed class TwoNodeTests(ITestOutputHelper output)
{
    private const string Analytics = "analytics.reporting";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Clause", "S6.1")]
    public async Task Decide_OnNodeB_AfterWithdrawalOnNodeA_Denies()
    {
        await using var store = await TestStore.CreateAsync(DatabaseProvider.Postgres, Cancel);
        await using var a = await ConsentNode.StartAsync(store, Cancel);
        await using var b = await ConsentNode.StartAsync(store, Cancel);
        var subject = await a.AddSubjectAsync(Cancel);
        var policy = b.Services.GetRequiredService<CompiledPolicy>();
        var purpose = policy.Purpose(Analytics);
        var category = policy.Category(policy[purpose].Categories[0]);

        // B hears of A's grant too; wait for it, or that eviction could land after B's read and empty the cache.
        var grantSeen = EvictionOn(b, subject);
        await a.WithLedgerAsync(l => l.RecordAsync(subject, Analytics, true, ConsentMethod.Web, ConsentEvidence.None, $"subject:{subject}", Cancel));
        await grantSeen.WaitAsync(TimeSpan.FromSeconds(5), Cancel);
        var beforeOnB = await b.WithLedgerAsync(l => l.DecideAsync(subject, category, purpose, Cancel).AsTask());
        Assert.True(b.Cache.TryGet(subject, out _), "node B should hold the grant in its cache before the withdrawal");

        // Signalled by B's listener when A's notification evicts the subject; bounded, no fixed sleep.
        var evicted = EvictionOn(b, subject);
        var clock = Stopwatch.StartNew();
        var withdrawn = await a.WithLedgerAsync(l => l.RecordAsync(subject, Analytics, false, ConsentMethod.Web, ConsentEvidence.None, $"subject:{subject}", Cancel));
        var committed = clock.Elapsed;
        await evicted.WaitAsync(TimeSpan.FromSeconds(5), Cancel);
        var seen = clock.Elapsed;
        var afterOnB = await b.WithLedgerAsync(l => l.DecideAsync(subject, category, purpose, Cancel).AsTask());
        output.WriteLine($"withdrawal committed on A after {committed.TotalMilliseconds:F1} ms; B evicted after {seen.TotalMilliseconds:F1} ms");

        Assert.True(withdrawn.Recorded);
        Assert.Equal((true, DecisionReason.Consented), (beforeOnB.Allowed, beforeOnB.Reason));
        Assert.Equal((false, DecisionReason.NotConsented), (afterOnB.Allowed, afterOnB.Reason));
    }

    [Fact]
    [Trait("Clause", "S6.1")]
    public async Task Decide_OnNodeB_WithdrawalCommittedButNotYetNotified_Denies()
    {
        await using var store = await TestStore.CreateAsync(DatabaseProvider.Postgres, Cancel);
        await using var a = await ConsentNode.StartAsync(store, Cancel);
        await using var b = await ConsentNode.StartAsync(store, Cancel);
        var subject = await a.AddSubjectAsync(Cancel);
        var policy = b.Services.GetRequiredService<CompiledPolicy>();
        var purpose = policy.Purpose(Analytics);
        var category = policy.Category(policy[purpose].Categories[0]);
        var grantSeen = EvictionOn(b, subject);
        await a.WithLedgerAsync(l => l.RecordAsync(subject, Analytics, true, ConsentMethod.Web, ConsentEvidence.None, $"subject:{subject}", Cancel));
        await grantSeen.WaitAsync(TimeSpan.FromSeconds(5), Cancel);
        var before = await b.WithLedgerAsync(l => l.DecideAsync(subject, category, purpose, Cancel).AsTask());
        Assert.True(b.Cache.TryGet(subject, out _), "node B should hold the grant in its cache before the withdrawal");

        // A withdrawal committed with no notification at all: the worst case of one still on its way to B.
        await using (var db = store.NewDataContext())
        {
            db.Add(new ConsentEvent
            {
                SubjectId = subject,
                PurposeKey = Analytics,
                Granted = false,
                PolicyHash = policy.Version.ContentHash,
                Method = ConsentMethod.Web,
                At = DateTimeOffset.UtcNow,
                ReceiptId = Guid.NewGuid(),
                Receipt = "unsigned",
            });
            await db.SaveChangesAsync(Cancel);
        }

        var after = await b.WithLedgerAsync(l => l.DecideAsync(subject, category, purpose, Cancel).AsTask());

        Assert.Equal((true, DecisionReason.Consented), (before.Allowed, before.Reason));
        Assert.Equal((false, DecisionReason.NotConsented), (after.Allowed, after.Reason));
    }

    [Fact]
    public async Task Decide_OnNodeB_AfterItsListenerWasCutOffAndReconnected_DeniesWithdrawalOnNodeA()
    {
        await using var store = await TestStore.CreateAsync(DatabaseProvider.Postgres, Cancel);
        await using var a = await ConsentNode.StartAsync(store, Cancel);
        await using var b = await ConsentNode.StartAsync(store, Cancel, ("Consent:ReconnectDelay", "00:00:00.050"));
        var subject = await a.AddSubjectAsync(Cancel);
        var policy = b.Services.GetRequiredService<CompiledPolicy>();
        var purpose = policy.Purpose(Analytics);
        var category = policy.Category(policy[purpose].Categories[0]);
        var grantSeen = EvictionOn(b, subject);
        await a.WithLedgerAsync(l => l.RecordAsync(subject, Analytics, true, ConsentMethod.Web, ConsentEvidence.None, $"subject:{subject}", Cancel));
        await grantSeen.WaitAsync(TimeSpan.FromSeconds(5), Cancel);
        await b.WithLedgerAsync(l => l.DecideAsync(subject, category, purpose, Cancel).AsTask());

        var off = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var on = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        b.Cache.EnabledChanged += enabled =>
        {
            if (!enabled)
            {
                off.TrySetResult();
            }
            else if (off.Task.IsCompleted)
            {
                on.TrySetResult();
            }
        };

        // Cut the listening sessions off as a failover or a network fault would (this test's own database only).
        await using (var db = store.NewDataContext())
        {
            await db.Database.ExecuteSqlRawAsync(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
                Cancel);
        }

        await off.Task.WaitAsync(TimeSpan.FromSeconds(5), Cancel);
        var cachedWhileOff = b.Cache.TryGet(subject, out _);
        await on.Task.WaitAsync(TimeSpan.FromSeconds(5), Cancel);
        await b.WithLedgerAsync(l => l.DecideAsync(subject, category, purpose, Cancel).AsTask());
        var evicted = EvictionOn(b, subject);
        await a.WithLedgerAsync(l => l.RecordAsync(subject, Analytics, false, ConsentMethod.Web, ConsentEvidence.None, $"subject:{subject}", Cancel));
        await evicted.WaitAsync(TimeSpan.FromSeconds(5), Cancel);
        var afterOnB = await b.WithLedgerAsync(l => l.DecideAsync(subject, category, purpose, Cancel).AsTask());

        Assert.False(cachedWhileOff);
        Assert.Equal((false, DecisionReason.NotConsented), (afterOnB.Allowed, afterOnB.Reason));
    }

    /// <summary>Completes when <paramref name="node"/> evicts <paramref name="subject"/>, as its listener does on a notification.</summary>
    private static Task EvictionOn(ConsentNode node, Guid subject)
    {
        var evicted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        node.Cache.Evicted += id =>
        {
            if (id == subject)
            {
                evicted.TrySetResult();
            }
        };
        return evicted.Task;
    }
}
