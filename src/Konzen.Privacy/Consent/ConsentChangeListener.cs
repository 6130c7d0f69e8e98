using Konzen.Privacy.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Konzen.Privacy.Consent;

/// <summary>
/// On PostgreSQL, listens for consent changes made by any node and evicts the subject from this
/// node's cache. The ledger sends the notification in the transaction of the change, so it is
/// delivered only once the change is committed and readable. The listener holds a connection of its
/// own (outside the pool) and reconnects after a failure; while disconnected the cache is off.
/// </summary>
internal sealed partial class ConsentChangeListener(
    ConsentStateCache cache,
    IOptions<StorageOptions> storage,
    IOptions<ConsentOptions> consent,
    TimeProvider time,
    ILogger<ConsentChangeListener> logger) : BackgroundService
{
    /// <summary>The PostgreSQL notification channel; the payload is the subject's id and the changing node's id.</summary>
    public const string Channel = "konzen_consent";

    private readonly TaskCompletionSource listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the listener first listens (tests wait for it before changing consent).</summary>
    public Task Listening => listening.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectionString = DatabaseConnection.Normalize(storage.Value.DatabaseConnectionString);
        if (DatabaseConnection.ProviderOf(connectionString) != DatabaseProvider.Postgres)
        {
            listening.TrySetResult();
            return;
        }

        // Not pooled: LISTEN belongs to one session, and a pooled connection would be reset on return.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 30 };
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                connection.Notification += (_, e) =>
                {
                    if (Parse(e.Payload) is { } subjectId)
                    {
                        cache.Evict(subjectId);
                    }
                };
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                cache.Connected();
                listening.TrySetResult();
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // Any failure of the connection is retried; the cache is off meanwhile, so nothing stale is served.
            catch (Exception e)
#pragma warning restore CA1031
            {
                cache.Disconnected();
                LogDisconnected(logger, e.GetType().Name, consent.Value.ReconnectDelay);
                try
                {
                    await Task.Delay(consent.Value.ReconnectDelay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        cache.Disconnected();
    }

    /// <summary>The subject to evict, or null for this node's own change (evicted already) or a payload it cannot read.</summary>
    private Guid? Parse(string payload)
    {
        var parts = payload.Split(' ');
        if (!Guid.TryParse(parts[0], out var subjectId))
        {
            return null;
        }

        return parts.Length > 1 && Guid.TryParse(parts[1], out var node) && node == cache.NodeId ? null : subjectId;
    }

    // The exception's type only: connection errors can carry host names and user names.
    [LoggerMessage(Level = LogLevel.Warning, Message = "The consent change listener lost its database connection ({Error}); consent states are not cached until it reconnects in {Delay}.")]
    private static partial void LogDisconnected(ILogger logger, string error, TimeSpan delay);
}
