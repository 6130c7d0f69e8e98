using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Retention;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Konzen.Privacy.Tests.Retention;

/// <summary>
/// The library's real services over a test store, on a fake clock, with every log line captured; a
/// test may add services of its own (a target that blocks or fails). Helpers put data in the way the
/// product does: subjects that consented to location, points through <see cref="LocationIntake"/>.
/// </summary>
internal sealed class RetentionBed : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly VaultServices services;
    private readonly string folder = Directory.CreateTempSubdirectory("konzen-retention-").FullName;

    private RetentionBed(TestStore store, Action<IServiceCollection>? configure, IReadOnlyDictionary<string, string?>? settings)
    {
        Store = store;
        services = new VaultServices(store, folder, Time, settings, c =>
        {
            c.AddLogging(logging => logging.AddProvider(Logs));
            configure?.Invoke(c);
        });
    }

    public TestStore Store { get; }

    public FakeTimeProvider Time { get; } = new(Start);

    public CapturedLogs Logs { get; } = new();

    public IServiceProvider Services => services.Root;

    public static async Task<RetentionBed> CreateAsync(
        DatabaseProvider provider,
        CancellationToken cancellationToken,
        Action<IServiceCollection>? configure = null,
        IReadOnlyDictionary<string, string?>? settings = null) =>
        new(await TestStore.CreateAsync(provider, cancellationToken), configure, settings);

    /// <summary>A subject who consented to location services, as the consent endpoint records it.</summary>
    public async Task<Guid> AddLocatedSubjectAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        var subject = VaultServices.NewSubject();
        db.Add(subject);
        await db.SaveChangesAsync(cancellationToken);
        var change = await scope.ServiceProvider.GetRequiredService<ConsentLedger>()
            .RecordAsync(subject.Id, LocationIntake.Purpose, granted: true, ConsentMethod.App, null, $"subject:{subject.Id}", cancellationToken);
        Assert.True(change.Recorded);
        return subject.Id;
    }

    /// <summary>A point taken by the device now (on the fake clock), reported through the intake.</summary>
    public async Task<Guid> RecordPointAsync(Guid subjectId, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateScope();
        var recorded = await scope.ServiceProvider.GetRequiredService<LocationIntake>().RecordAsync(
            subjectId, new LocationReport(31.2304, 121.4737, 12, LocationSource.Gps, PositioningOn: true, Time.GetUtcNow()), $"subject:{subjectId}", cancellationToken);
        Assert.Equal(LocationRefusal.None, recorded.Refusal);
        return recorded.PointId!.Value;
    }

    /// <summary>Starts a registration with a phone number (its code goes to the SMS outbox), and an email address when given.</summary>
    public async Task<Guid> StartRegistrationAsync(string phone, CancellationToken cancellationToken, string? email = null)
    {
        await using var scope = services.CreateScope();
        var policy = scope.ServiceProvider.GetRequiredService<CompiledPolicy>();
        var started = await scope.ServiceProvider.GetRequiredService<SubjectRegistration>().StartAsync(
            new RegistrationRequest(email, phone, "correct horse battery", new DateOnly(1990, 5, 17), policy.Version.ContentHash), cancellationToken);
        Assert.Null(started.Refusal);
        return started.RegistrationId;
    }

    /// <summary>Enters a code as the person would.</summary>
    public async Task<VerificationResult> VerifyAsync(Guid registrationId, string channel, string code, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<SubjectRegistration>().VerifyAsync(registrationId, channel, code, cancellationToken);
    }

    /// <summary>The newest text message in the outbox, opened.</summary>
    public async Task<string> LastTextAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateScope();
        var messages = await SmsOutbox.ReadAsync(
            scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), scope.ServiceProvider.GetRequiredService<SubjectSecrets>(), 1, cancellationToken);
        return messages[0].Text;
    }

    public async Task<RetentionSweepResult> SweepAsync(CancellationToken cancellationToken, string actor = "staff:test")
    {
        await using var scope = services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<RetentionSweep>().RunAsync(actor, cancellationToken);
    }

    /// <summary>Reads with a fresh context of the test's own: what is really in the store.</summary>
    public async Task<List<T>> RowsAsync<T>(CancellationToken cancellationToken)
        where T : class
    {
        await using var db = Store.NewDataContext();
        return await db.Set<T>().AsNoTracking().ToListAsync(cancellationToken);
    }

    public async Task<List<RetentionSweepRecord>> SweepRecordsAsync(CancellationToken cancellationToken)
    {
        await using var db = Store.NewDataContext();
        return await db.Set<RetentionSweepRecord>().AsNoTracking().Include(s => s.Counts).OrderBy(s => s.StartedAt).ToListAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await services.DisposeAsync();
        await Store.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }
}
