using BenchmarkDotNet.Attributes;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Benchmarks.Residency;

/// <summary>
/// What the residency check on SaveChanges costs a writer: one save of 100 location rows of one
/// subject on the embedded SQLite store, through a context with the options <c>AddKonzenPrivacy()</c>
/// registers (with the check; the subject's region is remembered after the first save) and through a
/// context over the same store without it. Single-threaded.
/// </summary>
[MemoryDiagnoser]
public class ResidencyCheckBenchmarks
{
    private const int Rows = 100;

    private BenchStore store = null!;
    private IServiceScope optionsScope = null!;
    private DbContextOptions<PrivacyDbContext> withoutCheck = null!;
    private DbContextOptions<PrivacyDbContext> withCheck = null!;
    private Guid subjectId;

    [GlobalSetup]
    public void Setup()
    {
        // The saves only ever reach the data store.
        store = BenchStore.Create(stores: BenchStores.Data);
        using var scope = store.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        subjectId = Guid.NewGuid();
        db.Add(new Subject { Id = subjectId, Region = "CN", CreatedAt = DateTimeOffset.UtcNow, AcceptedPolicyHash = "bench" });
        db.SaveChanges();
        withoutCheck = new DbContextOptionsBuilder<PrivacyDbContext>().Use(db.Database.GetConnectionString()!).Options;
        // The options keep the scope they were made in as the contexts' application services: it lives until cleanup.
        optionsScope = store.Services.CreateScope();
        withCheck = optionsScope.ServiceProvider.GetRequiredService<DbContextOptions<PrivacyDbContext>>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        optionsScope.Dispose();
        store.Dispose();
    }

    [Benchmark(Baseline = true)]
    public async Task<int> SaveWithoutCheck()
    {
        await using var db = new PrivacyDbContext(withoutCheck);
        return await SaveAsync(db);
    }

    [Benchmark]
    public async Task<int> SaveWithCheck()
    {
        await using var db = new PrivacyDbContext(withCheck);
        return await SaveAsync(db);
    }

    private async Task<int> SaveAsync(PrivacyDbContext db)
    {
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < Rows; i++)
        {
            db.Add(new LocationPoint { Id = Guid.NewGuid(), SubjectId = subjectId, RecordedAt = now, ReceivedAt = now, Accuracy = 10, Coordinates = new byte[44] });
        }

        return await db.SaveChangesAsync();
    }
}
