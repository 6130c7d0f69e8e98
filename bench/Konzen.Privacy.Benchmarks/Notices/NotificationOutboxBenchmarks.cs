using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
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

    private string folder = null!;
    private ServiceProvider services = null!;

    [GlobalSetup]
    public void Setup()
    {
        folder = Directory.CreateTempSubdirectory("konzen-bench-").FullName;
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:DataDirectory"] = folder })
            .Build();
        services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddKonzenPrivacy()
            .BuildServiceProvider();
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        db.Database.EnsureCreated();
        db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
        var keyStore = scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>();
        keyStore.Database.EnsureCreated();
        keyStore.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
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
        services.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [Benchmark]
    public int EnqueueForAll()
    {
        using var scope = services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<NotificationOutbox>()
            .EnqueueForAllAsync(NotificationTemplates.ControllerTransferred, Values).GetAwaiter().GetResult();
    }
}
