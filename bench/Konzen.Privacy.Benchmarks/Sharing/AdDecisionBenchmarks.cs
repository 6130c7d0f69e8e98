using BenchmarkDotNet.Attributes;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Benchmarks.Sharing;

/// <summary>
/// The ad decision (S4.5) on the embedded SQLite stores, one service scope per decision as per
/// request: <see cref="Cached"/> is the usual case (consent state and derived segments in the node's
/// memory, so no store is read), <see cref="Deriving"/> the first decision for a subject, which reads
/// the birth date through the vault (audited), the latest location point, and writes an audit entry.
/// 1,000 adults who consented, each with a location point.
/// </summary>
[MemoryDiagnoser]
public class AdDecisionBenchmarks
{
    private const int Subjects = 1_000;

    private BenchStore store = null!;
    private AdSegmentCache cache = null!;
    private Guid[] subjects = null!;

    [GlobalSetup]
    public void Setup()
    {
        store = BenchStore.Create(new Dictionary<string, string?> { ["Ads:SegmentLifetime"] = "01:00:00" });
        cache = store.Services.GetRequiredService<AdSegmentCache>();

        var random = new Random(20261201);
        subjects = new Guid[Subjects];
        for (var i = 0; i < Subjects; i++)
        {
            subjects[i] = SeedAsync(random).GetAwaiter().GetResult();
        }

        // Every subject decided once, so that the cached benchmark only ever hits memory.
        foreach (var subject in subjects)
        {
            Decide(subject);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        store.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Subjects)]
    public int Cached()
    {
        var personalized = 0;
        foreach (var subject in subjects)
        {
            personalized += Decide(subject).Mode == AdMode.Personalized ? 1 : 0;
        }

        return personalized;
    }

    [Benchmark(OperationsPerInvoke = 100)]
    public int Deriving()
    {
        var personalized = 0;
        for (var i = 0; i < 100; i++)
        {
            cache.Evict(subjects[i]);
            personalized += Decide(subjects[i]).Mode == AdMode.Personalized ? 1 : 0;
        }

        return personalized;
    }

    private AdDecision Decide(Guid subject)
    {
        using var scope = store.Services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<AdDecisions>().DecideAsync(EventActor.Subject(subject), false).AsTask().GetAwaiter().GetResult();
    }

    private async Task<Guid> SeedAsync(Random random)
    {
        await using var scope = store.Services.CreateAsyncScope();
        var s = scope.ServiceProvider;
        var db = s.GetRequiredService<PrivacyDbContext>();
        var subject = new Subject { Id = Guid.NewGuid(), Region = "CN", CreatedAt = DateTimeOffset.UtcNow, AcceptedPolicyHash = "bench" };
        db.Add(subject);
        await db.SaveChangesAsync();
        var birthDate = new DateOnly(1950 + random.Next(50), 1 + random.Next(12), 1 + random.Next(28));
        await s.GetRequiredService<PersonalDataVault>().WriteAsync(db, subject.Id, SubjectRegistration.BirthDateField, birthDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), "bench");
        var ledger = s.GetRequiredService<ConsentLedger>();
        await ledger.RecordAsync(subject.Id, LocationIntake.Purpose, true, ConsentMethod.Api, null, "bench");
        await ledger.RecordAsync(subject.Id, AdDecisions.Purpose, true, ConsentMethod.Api, null, "bench");
        await s.GetRequiredService<LocationIntake>().RecordAsync(
            subject.Id, new LocationReport(30 + random.NextDouble() * 10, 110 + random.NextDouble() * 10, 20, LocationSource.Gps, true, DateTimeOffset.UtcNow), "bench");
        return subject.Id;
    }
}
