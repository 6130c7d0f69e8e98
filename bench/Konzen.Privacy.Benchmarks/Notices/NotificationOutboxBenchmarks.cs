using System.Diagnostics;
using System.Globalization;
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
/// over 100,000 subjects with an email address on the embedded SQLite stores (WAL), in transactions of
/// the default 2,000 subjects (<see cref="NotificationOptions.EnqueueBatchSize"/>), writing an in-app and
/// an email notification each, values sealed under each subject's key (the keys created in bulk in the
/// warm-up, read from the key store in bulk after). One invocation per iteration; each prints its wall and CPU time.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class NotificationOutboxBenchmarks
{
    private const int Subjects = 100_000;

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
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var reached = scope.ServiceProvider.GetRequiredService<NotificationOutbox>()
            .EnqueueForAllAsync(NotificationTemplates.ControllerTransferred, Values).GetAwaiter().GetResult();

        // The machine is shared: the wall time follows the others' load, the process's CPU time much less.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// enqueue: {reached} subjects, wall {wall.Elapsed.TotalSeconds:F2} s, CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F2} s"));
        return reached;
    }
}
