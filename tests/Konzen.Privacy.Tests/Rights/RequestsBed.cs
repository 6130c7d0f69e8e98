using System.Globalization;
using Konzen.Privacy.Rights;
using Konzen.Privacy.Staff;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Konzen.Privacy.Tests.Rights;

/// <summary>
/// The library's real services over a test store, on a fake clock starting Monday 30 November 2026,
/// 09:00 China time, with mail going to an in-process SMTP server and escalations to the officer.
/// </summary>
internal sealed class RequestsBed : IAsyncDisposable
{
    public const string Officer = "officer@konzen.example";

    public static readonly DateTimeOffset Start = new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.FromHours(8)).ToUniversalTime();

    private readonly VaultServices services;
    private readonly string folder = Directory.CreateTempSubdirectory("konzen-requests-").FullName;

    private RequestsBed(TestStore store)
    {
        Store = store;
        services = new VaultServices(store, folder, Time, new Dictionary<string, string?>
        {
            ["Email:Host"] = "127.0.0.1",
            ["Email:Port"] = Smtp.Port.ToString(CultureInfo.InvariantCulture),
            ["Requests:OfficerEmail"] = Officer,
        }, null);
    }

    public TestStore Store { get; }

    public FakeTimeProvider Time { get; } = new(Start);

    public TestSmtpServer Smtp { get; } = new();

    public static async Task<RequestsBed> CreateAsync(DatabaseProvider provider, CancellationToken cancellationToken) =>
        new(await TestStore.CreateAsync(provider, cancellationToken));

    public async Task<T> RunAsync<T>(Func<PrivacyRequests, Task<T>> action)
    {
        await using var scope = services.CreateScope();
        return await action(scope.ServiceProvider.GetRequiredService<PrivacyRequests>());
    }

    public async Task<EscalationResult> EscalateAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<RequestEscalation>().RunAsync(cancellationToken);
    }

    /// <summary>The background escalator of these services (not started).</summary>
    internal RequestEscalator Escalator => services.Root.GetRequiredService<RequestEscalator>();

    public async Task<Guid> AddSubjectAsync(CancellationToken cancellationToken)
    {
        await using var db = Store.NewDataContext();
        var subject = VaultServices.NewSubject();
        db.Add(subject);
        await db.SaveChangesAsync(cancellationToken);
        return subject.Id;
    }

    public async Task AddStaffAsync(string name, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateScope();
        var added = await scope.ServiceProvider.GetRequiredService<StaffDirectory>().AddAsync(name, "staff:cli", cancellationToken);
        Assert.Equal(StaffRefusal.None, added.Refusal);
    }

    public async ValueTask DisposeAsync()
    {
        await services.DisposeAsync();
        await Smtp.DisposeAsync();
        await Store.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }
}
