using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Konzen.Privacy.Testing;

/// <summary>
/// A migrated data store and key store of their own for one test: two SQLite files in a temporary
/// folder, or two new PostgreSQL databases on the server named by <c>KONZEN_TEST_POSTGRES</c>.
/// Real stores, not fakes: the tests prove what the product does on what it runs on.
/// </summary>
public sealed class TestStore : IAsyncDisposable
{
    /// <summary>The environment variable with an admin connection string to a PostgreSQL server for tests.</summary>
    public const string PostgresVariable = "KONZEN_TEST_POSTGRES";

    private readonly string? folder;
    private readonly string[] postgresDatabases;

    private TestStore(DatabaseProvider provider, string database, string keyStore, string? folder, string[] postgresDatabases)
    {
        Provider = provider;
        DatabaseConnectionString = database;
        KeyStoreConnectionString = keyStore;
        this.folder = folder;
        this.postgresDatabases = postgresDatabases;
    }

    public DatabaseProvider Provider { get; }

    public string DatabaseConnectionString { get; }

    public string KeyStoreConnectionString { get; }

    /// <summary>The folder of the SQLite files (null on PostgreSQL).</summary>
    public string? Folder => folder;

    public static async Task<TestStore> CreateAsync(DatabaseProvider provider, CancellationToken cancellationToken = default)
    {
        TestStore store;
        if (provider == DatabaseProvider.Sqlite)
        {
            var path = Directory.CreateTempSubdirectory("konzen-store-").FullName;
            store = new TestStore(provider, $"Data Source={Path.Combine(path, "privacy.db")}", $"Data Source={Path.Combine(path, "keys.db")}", path, []);
        }
        else
        {
            var admin = AdminConnectionString();
            var suffix = Guid.NewGuid().ToString("N")[..12];
            string[] names = [$"konzen_test_{suffix}", $"konzen_test_{suffix}_keys"];
            await using (var connection = new NpgsqlConnection(admin))
            {
                await connection.OpenAsync(cancellationToken);
                foreach (var name in names)
                {
                    await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
                    await create.ExecuteNonQueryAsync(cancellationToken);
                }
            }

            var builder = new NpgsqlConnectionStringBuilder(admin);
            builder.Database = names[0];
            var data = builder.ConnectionString;
            builder.Database = names[1];
            store = new TestStore(provider, data, builder.ConnectionString, null, names);
        }

        await using (var db = store.NewDataContext())
        {
            await db.Database.MigrateAsync(cancellationToken);
        }

        await using (var keys = store.NewKeyContext())
        {
            await keys.Database.MigrateAsync(cancellationToken);
        }

        return store;
    }

    public PrivacyDbContext NewDataContext() =>
        new(new DbContextOptionsBuilder<PrivacyDbContext>().Use(DatabaseConnectionString).Options);

    public KeyStoreDbContext NewKeyContext() =>
        new(new DbContextOptionsBuilder<KeyStoreDbContext>().Use(KeyStoreConnectionString).Options);

    /// <summary>Settings that point a host at these stores.</summary>
    public IReadOnlyDictionary<string, string> HostSettings => new Dictionary<string, string>
    {
        ["Storage:Database"] = DatabaseConnectionString,
        ["Storage:KeyStore"] = KeyStoreConnectionString,
    };

    public async ValueTask DisposeAsync()
    {
        // Only this store's pools: clearing every pool would close the connections of tests running
        // beside this one, and closing an SQLite file's last connection checkpoints away its -wal file.
        if (folder is not null)
        {
            foreach (var connectionString in (string[])[DatabaseConnectionString, KeyStoreConnectionString])
            {
                using var pooled = new SqliteConnection(connectionString);
                SqliteConnection.ClearPool(pooled);
            }

            Directory.Delete(folder, recursive: true);
            return;
        }

        foreach (var connectionString in (string[])[DatabaseConnectionString, KeyStoreConnectionString])
        {
            using var pooled = new NpgsqlConnection(connectionString);
            NpgsqlConnection.ClearPool(pooled);
        }

        await using var connection = new NpgsqlConnection(AdminConnectionString());
        await connection.OpenAsync();
        foreach (var name in postgresDatabases)
        {
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// The PostgreSQL server for tests. Missing, the PostgreSQL half of the suite fails with this
    /// message instead of passing quietly: CI sets it, and so should anyone running the tests.
    /// </summary>
    public static string AdminConnectionString() =>
        Environment.GetEnvironmentVariable(PostgresVariable)
        ?? throw new InvalidOperationException(
            $"Set {PostgresVariable} to an admin connection string of a PostgreSQL server for tests, for example " +
            "Host=127.0.0.1;Username=postgres;Password=...  (.ci/run starts one and sets it).");
}
