using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Benchmarks.Notices;

/// <summary>
/// A notice to every subject, as a controller transfer sends it: <see cref="NotificationOutbox.EnqueueForAllAsync"/>
/// over 10,000 subjects with an email address on the embedded SQLite stores (WAL), in batches of the
/// default 100 subjects, writing an in-app and an email notification each, values sealed under each
/// subject's key (created on first use in the first iteration, cached after). One invocation per iteration.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class NotificationOutboxBenchmarks
{
    private const int Subjects = 10_000;

    private static readonly Dictionary<string, string> Values = new(StringComparer.Ordinal)
    {
        ["from"] = "Konzen",
        ["to"] = "Acme Domains Ltd",
        ["effective"] = "2027-01-01",
        ["policyVersion"] = "1.0.0",
        ["policyHash"] = new string('a', 64),
    };

    private BenchStore store = null!;

    [GlobalSetup]
    public void Setup()
    {
        store = BenchStore.Create();
        using var scope = store.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < Subjects; i++)
        {
            // An email blind index is all the channel choice looks at.
            db.Add(new Subject { Id = Guid.NewGuid(), Region = "CN", CreatedAt = now, AcceptedPolicyHash = "bench", EmailIndex = RandomNumberGenerator.GetBytes(32) });
        }

        db.SaveChanges();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        store.Dispose();
    }

    [Benchmark]
    public int EnqueueForAll()
    {
        using var scope = store.Services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<NotificationOutbox>()
            .EnqueueForAllAsync(NotificationTemplates.ControllerTransferred, Values).GetAwaiter().GetResult();
    }
}
