using System.Diagnostics;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
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

        await a.WithLedgerAsync(l => l.RecordAsync(subject, Analytics, true, ConsentMethod.Web, ConsentEvidence.None, $"subject:{subject}", Cancel));
        var beforeOnB = await b.WithLedgerAsync(l => l.DecideAsync(subject, category, purpose, Cancel).AsTask());
        Assert.True(b.Cache.TryGet(subject, out _), "node B should hold the grant in its cache before the withdrawal");

        // Signalled by B's listener when A's notification evicts the subject; bounded, no fixed sleep.
        var evicted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        b.Cache.Evicted += id =>
        {
            if (id == subject)
            {
                evicted.TrySetResult();
            }
        };
        var clock = Stopwatch.StartNew();
        var withdrawn = await a.WithLedgerAsync(l => l.RecordAsync(subject, Analytics, false, ConsentMethod.Web, ConsentEvidence.None, $"subject:{subject}", Cancel));
        var committed = clock.Elapsed;
        await evicted.Task.WaitAsync(TimeSpan.FromSeconds(5), Cancel);
        var seen = clock.Elapsed;
        var afterOnB = await b.WithLedgerAsync(l => l.DecideAsync(subject, category, purpose, Cancel).AsTask());
        output.WriteLine($"withdrawal committed on A after {committed.TotalMilliseconds:F1} ms; B evicted after {seen.TotalMilliseconds:F1} ms");

        Assert.True(withdrawn.Recorded);
        Assert.Equal((true, DecisionReason.Consented), (beforeOnB.Allowed, beforeOnB.Reason));
        Assert.Equal((false, DecisionReason.NotConsented), (afterOnB.Allowed, afterOnB.Reason));
    }
}
