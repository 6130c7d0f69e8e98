using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Rights;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Benchmarks.Rights;

/// <summary>
/// The final step of an account cancellation on the embedded SQLite stores, for a subject with few
/// and with many location points: <see cref="DestroyKey"/> is the key step alone
/// (<see cref="SubjectKeys.ShredAsync"/>: cache eviction and one committed delete in the key store),
/// <see cref="Complete"/> the whole completion (key, row deletions, certificate, audit entry) for
/// comparison. Every iteration gets a fresh subject due for cancellation, seeded outside the
/// measurement; each iteration is one invocation, hence the monitoring strategy.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 15)]
public class CancellationBenchmarks
{
    private BenchStore store = null!;
    private Guid subjectId;
    private Guid cancellationId;

    /// <summary>How many location points the subject has when its cancellation completes.</summary>
    [Params(10, 100_000)]
    public int LocationPoints { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        store = BenchStore.Create();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        store.Dispose();
    }

    [IterationSetup]
    public void SeedSubject()
    {
        using var scope = store.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        var keyStore = scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>();
        var now = DateTimeOffset.UtcNow;
        subjectId = Guid.NewGuid();
        cancellationId = Guid.NewGuid();

        // A key row is all the shred touches; its content is never unwrapped here.
        keyStore.SubjectKeys.Add(new SubjectKey { SubjectId = subjectId, WrappedKey = RandomNumberGenerator.GetBytes(60), MasterKeyId = "bench", CreatedAt = now });
        keyStore.SaveChanges();

        db.Add(new Subject { Id = subjectId, Region = "CN", CreatedAt = now, AcceptedPolicyHash = "bench" });
        foreach (var field in new[] { PersonalDataVault.EmailField, PersonalDataVault.PhoneField, "birth_date" })
        {
            db.Add(new PersonalField { SubjectId = subjectId, Field = field, Ciphertext = RandomNumberGenerator.GetBytes(60), UpdatedAt = now });
        }

        db.Add(new LocationPoint { Id = Guid.NewGuid(), SubjectId = subjectId, RecordedAt = now, ReceivedAt = now, Accuracy = 10, Coordinates = RandomNumberGenerator.GetBytes(44) });
        db.Add(new CancellationRequest
        {
            Id = cancellationId,
            SubjectId = subjectId,
            Status = CancellationStatus.Scheduled,
            Channel = VerificationChannel.Email,
            CodeHash = new byte[32],
            CodeExpiresAt = now.AddDays(-14),
            RequestedAt = now.AddDays(-15),
            ConfirmedAt = now.AddDays(-15),
            DueAt = now.AddMinutes(-1),
            TokenHash = new byte[32],
        });
        db.SaveChanges();

        // The rest of the points copy the first one in SQL: seeding 100,000 through the change tracker would take minutes.
        var more = LocationPoints - 1;
        db.Database.ExecuteSql($"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {more})
            INSERT INTO location_points (Id, SubjectId, RecordedAt, ReceivedAt, Source, Accuracy, Coordinates)
            SELECT upper(hex(randomblob(16))), p.SubjectId, p.RecordedAt, p.ReceivedAt, p.Source, p.Accuracy, randomblob(44)
            FROM location_points p, n WHERE p.SubjectId = {subjectId}
            """);
        var seeded = db.Set<LocationPoint>().Count(p => p.SubjectId == subjectId);
        if (seeded != LocationPoints)
        {
            throw new InvalidOperationException($"Seeded {seeded} location points instead of {LocationPoints}.");
        }
    }

    [IterationCleanup]
    public void RemoveSubject()
    {
        // After DestroyKey the rows are still there; the cascade removes them so the store does not grow between iterations.
        using var scope = store.Services.CreateScope();
        scope.ServiceProvider.GetRequiredService<PrivacyDbContext>().Subjects.Where(s => s.Id == subjectId).ExecuteDelete();
    }

    [Benchmark(Baseline = true)]
    public async Task<bool> DestroyKey()
    {
        await using var scope = store.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SubjectKeys>().ShredAsync(subjectId)
            ? true
            : throw new InvalidOperationException("There was no key to destroy.");
    }

    [Benchmark]
    public async Task<CancellationCompletion> Complete()
    {
        await using var scope = store.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<Cancellations>().CompleteAsync(cancellationId)
            ?? throw new InvalidOperationException("The cancellation did not complete.");
    }
}
