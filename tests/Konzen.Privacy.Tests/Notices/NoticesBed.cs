using System.Globalization;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Testing;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Konzen.Privacy.Tests.Notices;

/// <summary>
/// The library's real services over a test store, on a fake clock, with mail going to an in-process
/// SMTP server (or, with <c>smtpDown</c>, to a port nothing listens on) and every log line captured.
/// Subjects are put in the way registration does it: contact fields and birth date through the vault.
/// </summary>
internal sealed class NoticesBed : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly VaultServices services;
    private readonly string folder = Directory.CreateTempSubdirectory("konzen-notices-").FullName;

    private NoticesBed(TestStore store, bool smtpDown, IReadOnlyDictionary<string, string?>? settings)
    {
        Store = store;
        var merged = new Dictionary<string, string?>
        {
            ["Email:Host"] = "127.0.0.1",
            ["Email:Port"] = (smtpDown ? ClosedPort() : Smtp.Port).ToString(CultureInfo.InvariantCulture),
            ["Notifications:BatchSize"] = "3",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }

        services = new VaultServices(store, folder, Time, merged, c => c.AddLogging(logging => logging.AddProvider(Logs)));
    }

    public TestStore Store { get; }

    public FakeTimeProvider Time { get; } = new(Start);

    public TestSmtpServer Smtp { get; } = new();

    public CapturedLogs Logs { get; } = new();

    public IServiceProvider Services => services.Root;

    public static async Task<NoticesBed> CreateAsync(
        DatabaseProvider provider, CancellationToken cancellationToken, bool smtpDown = false, IReadOnlyDictionary<string, string?>? settings = null) =>
        new(await TestStore.CreateAsync(provider, cancellationToken), smtpDown, settings);

    public async Task<T> RunAsync<T>(Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = services.CreateScope();
        return await action(scope.ServiceProvider);
    }

    public Task RunAsync(Func<IServiceProvider, Task> action) => RunAsync<bool>(async s =>
    {
        await action(s);
        return true;
    });

    /// <summary>A subject with the given verified addresses, birth date and notification language.</summary>
    public async Task<Guid> AddSubjectAsync(
        CancellationToken cancellationToken, string? email = null, string? phone = null, string birthDate = "1990-05-17", PolicyLanguage? language = null)
    {
        var subject = VaultServices.NewSubject();
        await RunAsync(async s =>
        {
            var db = s.GetRequiredService<PrivacyDbContext>();
            var vault = s.GetRequiredService<PersonalDataVault>();
            db.Add(subject);
            await db.SaveChangesAsync(cancellationToken);
            if (email is not null)
            {
                Assert.Equal(VaultWrite.Written, await vault.WriteAsync(db, subject.Id, PersonalDataVault.EmailField, email, "test", cancellationToken));
            }

            if (phone is not null)
            {
                Assert.Equal(VaultWrite.Written, await vault.WriteAsync(db, subject.Id, PersonalDataVault.PhoneField, phone, "test", cancellationToken));
            }

            Assert.Equal(VaultWrite.Written, await vault.WriteAsync(db, subject.Id, SubjectRegistration.BirthDateField, birthDate, "test", cancellationToken));
            if (language is { } chosen)
            {
                await s.GetRequiredService<Privacy.Notices.NotificationOutbox>().SetLanguageAsync(subject.Id, chosen, cancellationToken);
            }
        });
        return subject.Id;
    }

    public Task ConsentAsync(Guid subjectId, string purpose, bool granted, CancellationToken cancellationToken) =>
        RunAsync(async s => Assert.True((await s.GetRequiredService<ConsentLedger>()
            .RecordAsync(subjectId, purpose, granted, ConsentMethod.Api, null, $"subject:{subjectId}", cancellationToken)).Recorded));

    public async Task<List<T>> RowsAsync<T>(CancellationToken cancellationToken)
        where T : class
    {
        await using var db = Store.NewDataContext();
        return await db.Set<T>().AsNoTracking().ToListAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await services.DisposeAsync();
        await Smtp.DisposeAsync();
        await Store.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    private static int ClosedPort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }
}
