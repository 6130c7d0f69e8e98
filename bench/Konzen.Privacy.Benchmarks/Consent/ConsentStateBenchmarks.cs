using BenchmarkDotNet.Attributes;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Benchmarks.Consent;

/// <summary>
/// A decision as the site's code makes it: the subject's consent state from the node's cache, then
/// the purpose gate. 100,000 subjects are cached up front and asked in a seeded random order, so the
/// measured path never reaches the store. Target: no allocation per decision.
/// </summary>
[MemoryDiagnoser]
public class ConsentStateBenchmarks
{
    private const int Subjects = 100_000;

    private BenchStore store = null!;
    private AsyncServiceScope scope;
    private ConsentLedger ledger = null!;
    private CompiledPolicy policy = null!;
    private Guid[] subjects = null!;
    private CategoryId category;
    private PurposeId purpose;

    [GlobalSetup]
    public void Setup()
    {
        // Every state is answered from the cache, so no store is created.
        store = BenchStore.Create(
            new Dictionary<string, string?> { ["Consent:CacheEntries"] = (Subjects * 2).ToString(System.Globalization.CultureInfo.InvariantCulture) },
            BenchStores.None);
        scope = store.Services.CreateAsyncScope();
        ledger = scope.ServiceProvider.GetRequiredService<ConsentLedger>();
        policy = store.Services.GetRequiredService<CompiledPolicy>();
        var cache = store.Services.GetRequiredService<ConsentStateCache>();
        purpose = policy.Purpose("analytics.reporting");
        category = policy.Category(policy[purpose].Categories[0]);

        var random = new Random(20261201);
        subjects = new Guid[Subjects];
        for (var i = 0; i < Subjects; i++)
        {
            subjects[i] = new Guid(random.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 16));
            var consents = random.Next(2) == 0 ? ConsentSet.None : ConsentSet.None.With(purpose);
            cache.Store(subjects[i], new CachedState(policy.Subject(consents), Events: 1, policy.Version.ContentHash), cache.Generation);
        }

        random.Shuffle(subjects);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        scope.Dispose();
        store.Dispose();
    }

    /// <summary><see cref="ConsentLedger.GetStateAsync"/> answered from the cache, then <see cref="CompiledPolicy.Decide"/>.</summary>
    [Benchmark(OperationsPerInvoke = Subjects)]
    public int CachedStateThenDecide()
    {
        var allowed = 0;
        foreach (var subject in subjects)
        {
            var state = Cached(ledger.GetStateAsync(subject));
            if (policy.Decide(in state, category, purpose).Allowed)
            {
                allowed++;
            }
        }

        return allowed;
    }

    /// <summary>The same through <see cref="ConsentLedger.DecideAsync"/>, the one call a caller makes.</summary>
    [Benchmark(OperationsPerInvoke = Subjects)]
    public int DecideAsync()
    {
        var allowed = 0;
        foreach (var subject in subjects)
        {
            if (Cached(ledger.DecideAsync(subject, category, purpose)).Allowed)
            {
                allowed++;
            }
        }

        return allowed;
    }

    // A hit completes synchronously; anything else would mean the benchmark measures the store instead.
    private static T Cached<T>(ValueTask<T> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result : throw new InvalidOperationException("The state was not answered from the cache.");
}
