using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Benchmarks;

/// <summary>Which embedded stores <see cref="BenchStore.Create"/> creates.</summary>
[Flags]
internal enum BenchStores
{
    /// <summary>None: the class never reaches a store, it only needs the services.</summary>
    None = 0,

    /// <summary>The data store (<see cref="PrivacyDbContext"/>).</summary>
    Data = 1,

    /// <summary>The key store (<see cref="KeyStoreDbContext"/>), its own SQLite file.</summary>
    Keys = 2,

    /// <summary>Both stores.</summary>
    Both = Data | Keys,
}

/// <summary>
/// The embedded SQLite stores one benchmark class runs on: a new temporary folder as
/// <c>Storage:DataDirectory</c>, a service provider with <c>AddKonzenPrivacy()</c> over it and the
/// class's own settings, and the stores it asks for created. <see cref="Dispose"/> removes it all again.
/// </summary>
internal sealed class BenchStore : IDisposable
{
    private readonly ServiceProvider services;

    private BenchStore(string folder, ServiceProvider services)
    {
        Folder = folder;
        this.services = services;
    }

    /// <summary>The temporary folder that holds the store files.</summary>
    public string Folder { get; }

    /// <summary>The services, as <c>AddKonzenPrivacy()</c> registers them over this folder.</summary>
    public IServiceProvider Services => services;

    /// <summary>Creates the folder, the services and the stores.</summary>
    /// <param name="settings">Configuration beside <c>Storage:DataDirectory</c>, for example a cache size.</param>
    /// <param name="stores">The stores to create.</param>
    /// <param name="wal">
    /// Whether the created stores switch to WAL, as the service's start-up does; a class measured without
    /// it so far keeps its figures comparable by passing false.
    /// </param>
    public static BenchStore Create(IReadOnlyDictionary<string, string?>? settings = null, BenchStores stores = BenchStores.Both, bool wal = true)
    {
        var folder = Directory.CreateTempSubdirectory("konzen-bench-").FullName;
        var values = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>(), StringComparer.OrdinalIgnoreCase)
        {
            ["Storage:DataDirectory"] = folder,
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var store = new BenchStore(folder, new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddKonzenPrivacy()
            .BuildServiceProvider());
        try
        {
            using var scope = store.services.CreateScope();
            if (stores.HasFlag(BenchStores.Data))
            {
                CreateStore(scope.ServiceProvider.GetRequiredService<PrivacyDbContext>().Database, wal);
            }

            if (stores.HasFlag(BenchStores.Keys))
            {
                CreateStore(scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>().Database, wal);
            }

            return store;
        }
        catch
        {
            // A half-made store would leave its folder behind in the temp directory.
            store.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the services, then deletes the folder with the store files.</summary>
    public void Dispose()
    {
        services.Dispose();
        // Pooled connections keep the database files open; the folder cannot be deleted under them.
        SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
    }

    private static void CreateStore(DatabaseFacade database, bool wal)
    {
        database.EnsureCreated();
        if (wal)
        {
            database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
        }
    }
}
