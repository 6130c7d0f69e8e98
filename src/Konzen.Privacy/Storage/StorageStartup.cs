using Konzen.Privacy.Vault;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Konzen.Privacy.Storage;

/// <summary>Thrown at start-up when a store cannot be used; the message says which and why, without secrets.</summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Creates and migrates both stores while the host starts, and refuses to run on a schema newer
/// than this build (an older binary writing to a newer schema could lose data).
/// </summary>
internal sealed class StorageStartup(IServiceScopeFactory scopes, IOptions<StorageOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.Value.DataDirectory);
        await using var scope = scopes.CreateAsyncScope();
        await MigrateAsync(scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), "data store", cancellationToken);
        await MigrateAsync(scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>(), "key store", cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static Exception? DatabaseError(Exception e) => e switch
    {
        NpgsqlException or SqliteException => e,
        { InnerException: { } inner } => DatabaseError(inner),
        _ => null,
    };

    private static async Task MigrateAsync(DbContext db, string store, CancellationToken cancellationToken)
    {
        try
        {
            var known = db.Database.GetMigrations().ToHashSet(StringComparer.Ordinal);
            var applied = await db.Database.GetAppliedMigrationsAsync(cancellationToken);
            var unknown = applied.Where(m => !known.Contains(m)).ToList();
            if (unknown.Count > 0)
            {
                throw new StorageUnavailableException(
                    $"The {store} schema is newer than this version of konzen (it has migration {unknown[^1]}); upgrade konzen or point it at another store.");
            }

            await db.Database.MigrateAsync(cancellationToken);
            if (db.Database.IsSqlite())
            {
                // Readers keep reading while one writer writes.
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            }
        }
        catch (Exception e) when (DatabaseError(e) is { } cause)
        {
            throw new StorageUnavailableException($"The {store} cannot be used: {cause.Message}", e);
        }
    }
}
