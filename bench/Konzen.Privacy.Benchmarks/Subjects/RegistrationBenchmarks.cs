using BenchmarkDotNet.Attributes;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Benchmarks.Subjects;

/// <summary>
/// Registrations per second at library level on the embedded SQLite stores, without mail delivery:
/// the code goes by phone to the SMS outbox (a sealed row in the same store). <see cref="Start"/> is
/// the request that sends the code; <see cref="StartAndVerify"/> is a whole registration: start,
/// read the code back from the outbox, enter it, subject created with its vault fields.
/// Single-threaded; the password hash (PBKDF2, 100,000 iterations) is deliberately most of the cost.
/// </summary>
[MemoryDiagnoser]
public class RegistrationBenchmarks
{
    private BenchStore store = null!;
    private string policyHash = null!;
    private int next;

    [GlobalSetup]
    public void Setup()
    {
        // Measured so far in SQLite's default rollback journal, not WAL: kept so the figures stay comparable.
        store = BenchStore.Create(wal: false);
        using var scope = store.Services.CreateScope();
        policyHash = scope.ServiceProvider.GetRequiredService<CompiledPolicy>().Version.ContentHash;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        store.Dispose();
    }

    [Benchmark]
    public async Task<Guid> Start()
    {
        await using var scope = store.Services.CreateAsyncScope();
        var started = await scope.ServiceProvider.GetRequiredService<SubjectRegistration>().StartAsync(Request(NextPhone()));
        return started.RegistrationId;
    }

    [Benchmark]
    public async Task<Guid?> StartAndVerify()
    {
        await using var scope = store.Services.CreateAsyncScope();
        var registration = scope.ServiceProvider.GetRequiredService<SubjectRegistration>();
        var phone = NextPhone();
        var started = await registration.StartAsync(Request(phone));
        var sms = await SmsOutbox.ReadAsync(
            scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), scope.ServiceProvider.GetRequiredService<SubjectSecrets>(), limit: 1);
        var code = sms[0].Text.Split(' ')[2];
        var verified = await registration.VerifyAsync(started.RegistrationId, VerificationChannel.Phone, code);
        return verified.SubjectId ?? throw new InvalidOperationException("The registration did not complete.");
    }

    private RegistrationRequest Request(string phone) =>
        new(null, phone, "correct horse battery", new DateOnly(1990, 5, 17), policyHash);

    // Distinct valid mainland mobile numbers, so that every registration creates a new subject.
    private string NextPhone() => $"+86139{Interlocked.Increment(ref next):D8}";
}
