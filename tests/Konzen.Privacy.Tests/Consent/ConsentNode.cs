using Konzen.Privacy.Consent;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Konzen.Privacy.Tests.Consent;

/// <summary>
/// One running node of the library over a test store: its own container, hosted services started
/// (migrations, keys, the PostgreSQL listener) and a key folder of its own. Two of them on one
/// store are two nodes.
/// </summary>
internal sealed class ConsentNode : IAsyncDisposable
{
    private readonly IHost host;

    private ConsentNode(IHost host, string folder)
    {
        this.host = host;
        Folder = folder;
    }

    /// <summary>The node's data directory (its key files).</summary>
    public string Folder { get; }

    public IServiceProvider Services => host.Services;

    public ConsentStateCache Cache => host.Services.GetRequiredService<ConsentStateCache>();

    public static async Task<ConsentNode> StartAsync(TestStore store, CancellationToken cancellationToken, params (string Key, string Value)[] settings)
    {
        var folder = Directory.CreateTempSubdirectory("konzen-node-").FullName;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(
            store.HostSettings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))
                .Append(KeyValuePair.Create("Storage:DataDirectory", (string?)folder))
                .Concat(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))));
        builder.Services.AddKonzenPrivacy();
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        var node = new ConsentNode(host, folder);

        // On PostgreSQL a node caches only once it listens; wait so every test runs the cached path.
        await host.Services.GetRequiredService<ConsentChangeListener>().Listening.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        return node;
    }

    /// <summary>Runs <paramref name="action"/> with a ledger of a new scope, as one request would.</summary>
    public async Task<T> WithLedgerAsync<T>(Func<ConsentLedger, Task<T>> action)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<ConsentLedger>());
    }

    /// <summary>Adds a subject homed in CN and returns its id.</summary>
    public async Task<Guid> AddSubjectAsync(CancellationToken cancellationToken)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        var subject = new Subject { Id = Guid.NewGuid(), Region = "CN", CreatedAt = DateTimeOffset.UnixEpoch, AcceptedPolicyHash = "h" };
        db.Add(subject);
        await db.SaveChangesAsync(cancellationToken);
        return subject.Id;
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
