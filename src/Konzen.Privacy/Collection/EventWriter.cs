using System.Data.Common;
using System.Text;
using System.Threading.Channels;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using SQLitePCL;

namespace Konzen.Privacy.Collection;

/// <summary>One event ready to store: policy keys, the time to the second, the truncated network and the sealed content.</summary>
internal readonly record struct EventRow(string Purpose, string Category, string Type, DateTimeOffset At, string? Ip, byte[] Payload);

/// <summary>One request's events, with the audit entry that records the batch, waiting for a commit.</summary>
internal sealed class EventBatch(int epoch, byte[] pseudonym, bool subjectSealed, DateTimeOffset receivedAt, EventRow[] rows, AuditRecord audit)
{
    public int Epoch => epoch;

    public byte[] Pseudonym => pseudonym;

    public bool SubjectSealed => subjectSealed;

    public DateTimeOffset ReceivedAt => receivedAt;

    public EventRow[] Rows => rows;

    public AuditRecord Audit => audit;

    // Continuations run on the thread pool, not on the writer's loop, which goes on to the next commit.
    public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Thrown to the callers of a commit that failed; none of their events were stored.</summary>
public sealed class EventWriteException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Writes log events in bulk with group commit. Requests hand their batches to a queue; one loop takes
/// everything queued (up to <see cref="EventOptions.MaxEventsPerCommit"/>), writes it in one transaction
/// with one audit entry per batch, commits, and only then tells each request its events are stored. A
/// commit that fails fails every request in it, and none of its events is stored. Many requests share
/// one commit, which is what makes an indexed insert fast: 1,000-row commits are slow, 100,000-row ones
/// several times faster.
/// </summary>
/// <remarks>
/// SQLite: a dedicated connection in WAL mode with <c>synchronous=FULL</c>, so a commit is on disk
/// before anyone is told (an application or machine crash loses nothing acknowledged), and one prepared
/// INSERT re-executed per row inside the transaction. PostgreSQL: binary COPY on a dedicated connection. Not the change tracker: it
/// costs more per row than the insert itself.
/// </remarks>
public sealed partial class EventWriter : IAsyncDisposable
{
    private const int PseudonymCacheSize = 100_000;
    private const string Columns = "pseudonym_id, purpose, category, type, at, received_at, ip, subject_sealed, payload";

    private static readonly Func<DateTimeOffset, long> SqliteTime = new DateTimeOffsetToBinaryConverter().ConvertToProviderTyped;

    private readonly Channel<EventBatch> queue = Channel.CreateBounded<EventBatch>(new BoundedChannelOptions(4096)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly string connectionString;
    private readonly DatabaseProvider provider;
    private readonly int maxEvents;
    private readonly AuditLog audit;
    private readonly ILogger<EventWriter> logger;
    private readonly Dictionary<string, long> pseudonyms = new(StringComparer.Ordinal);
    private readonly Task loop;
    private DbConnection? connection;
    private DbContextOptions<PrivacyDbContext>? contextOptions;
    private sqlite3_stmt? insert;

    public EventWriter(IOptions<StorageOptions> storage, IOptions<EventOptions> options, AuditLog audit, ILogger<EventWriter> logger)
    {
        connectionString = DatabaseConnection.Normalize(storage.Value.DatabaseConnectionString);
        provider = DatabaseConnection.ProviderOf(connectionString);
        maxEvents = options.Value.MaxEventsPerCommit;
        this.audit = audit;
        this.logger = logger;
        loop = Task.Run(RunAsync);
    }

    /// <summary>Queues <paramref name="batch"/> and returns once it is committed; throws <see cref="EventWriteException"/> if its commit failed.</summary>
    internal async Task WriteAsync(EventBatch batch, CancellationToken cancellationToken)
    {
        await queue.Writer.WriteAsync(batch, cancellationToken);
        await batch.Committed.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await loop;
        insert?.Dispose();
        if (connection is not null)
        {
            await connection.DisposeAsync();
        }
    }

    private async Task RunAsync()
    {
        var group = new List<EventBatch>();
        var reader = queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            group.Clear();
            var events = 0;
            while (events < maxEvents && reader.TryRead(out var batch))
            {
                group.Add(batch);
                events += batch.Rows.Length;
            }

            try
            {
                var added = await CommitAsync(group);
                foreach (var (key, id) in added)
                {
                    if (pseudonyms.Count >= PseudonymCacheSize)
                    {
                        pseudonyms.Clear();
                    }

                    pseudonyms[key] = id;
                }

                foreach (var batch in group)
                {
                    batch.Committed.TrySetResult();
                }
            }
            catch (Exception e)
            {
                // The message names the failure, never a value: the events are personal data.
                CommitFailed(logger, events, group.Count, e.GetType().Name);
                var failure = new EventWriteException("The events could not be stored; none of this batch was kept.", e);
                foreach (var batch in group)
                {
                    batch.Committed.TrySetException(failure);
                }

                await ResetAsync();
            }
        }
    }

    /// <summary>Writes the group in one transaction; returns the pseudonyms it added, to cache once committed.</summary>
    private async Task<Dictionary<string, long>> CommitAsync(List<EventBatch> group)
    {
        var db = await OpenAsync();
        await using var transaction = await db.BeginTransactionAsync();
        var added = new Dictionary<string, long>(StringComparer.Ordinal);
        var ids = new long[group.Count];
        for (var i = 0; i < group.Count; i++)
        {
            var key = Convert.ToHexString(group[i].Pseudonym);
            if (!pseudonyms.TryGetValue(key, out ids[i]) && !added.TryGetValue(key, out ids[i]))
            {
                ids[i] = await PseudonymIdAsync(db, transaction, group[i]);
                added[key] = ids[i];
            }
        }

        if (provider == DatabaseProvider.Postgres)
        {
            await CopyAsync((NpgsqlConnection)db, group, ids);
        }
        else
        {
            InsertSqlite(group, ids);
        }

        // Last, just before the commit: on PostgreSQL the append holds the audit chain's lock until then.
        await using (var context = new PrivacyDbContext(contextOptions!))
        {
            await context.Database.UseTransactionAsync(transaction);
            foreach (var batch in group)
            {
                await audit.AppendAsync(context, batch.Audit);
            }

            await context.SaveChangesAsync();
        }

        await transaction.CommitAsync();
        return added;
    }

    private async Task<DbConnection> OpenAsync()
    {
        if (connection is not null)
        {
            return connection;
        }

        if (provider == DatabaseProvider.Postgres)
        {
            var npgsql = new NpgsqlConnection(connectionString);
            await npgsql.OpenAsync();
            connection = npgsql;
            contextOptions = new DbContextOptionsBuilder<PrivacyDbContext>().UseNpgsql(npgsql).Options;
            return npgsql;
        }

        var sqlite = new SqliteConnection(connectionString);
        await sqlite.OpenAsync();
        await using (var pragma = sqlite.CreateCommand())
        {
            // WAL lets readers go on while this writes; FULL syncs the log on every commit, so an
            // acknowledged event survives a crash of the process and of the machine.
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;";
            await pragma.ExecuteNonQueryAsync();
        }

        // Prepared once per connection and driven through SQLite's own API: SQLite compiles the statement
        // once, and each row is nine binds by position and a step. (Through SqliteCommand, binding by
        // name cost several times the insert itself, and a many-row statement made it quadratic.)
        var prepared = raw.sqlite3_prepare_v2(sqlite.Handle, $"INSERT INTO log_events ({Columns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", out var statement);
        if (prepared != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(sqlite.Handle).utf8_to_string(), prepared);
        }

        insert = statement;
        connection = sqlite;
        contextOptions = new DbContextOptionsBuilder<PrivacyDbContext>().UseSqlite(sqlite).Options;
        return sqlite;
    }

    /// <summary>Drops the connection after a failed commit; the next group opens a new one.</summary>
    private async Task ResetAsync()
    {
        var broken = connection;
        insert?.Dispose();
        insert = null;
        connection = null;
        try
        {
            if (broken is not null)
            {
                await broken.DisposeAsync();
            }
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or IOException)
        {
            // Closing a connection that just failed may fail too; it is gone either way, and the
            // loop must go on serving the next requests.
            CloseFailed(logger, e.GetType().Name);
        }
    }

    private static async Task<long> PseudonymIdAsync(DbConnection db, DbTransaction transaction, EventBatch batch)
    {
        // Another node may add the same pseudonym at the same time: insert if missing, then read
        // whichever row won (PostgreSQL makes the insert wait for the other transaction).
        await using var insert = db.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO event_pseudonyms (epoch, hmac) VALUES (@epoch, @hmac) ON CONFLICT (hmac) DO NOTHING";
        Add(insert, "@epoch", batch.Epoch);
        Add(insert, "@hmac", batch.Pseudonym);
        await insert.ExecuteNonQueryAsync();
        await using var select = db.CreateCommand();
        select.Transaction = transaction;
        select.CommandText = "SELECT id FROM event_pseudonyms WHERE hmac = @hmac";
        Add(select, "@hmac", batch.Pseudonym);
        return Convert.ToInt64(await select.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private void InsertSqlite(List<EventBatch> group, long[] ids)
    {
        var statement = insert!;
        var handle = ((SqliteConnection)connection!).Handle!;
        Span<byte> text = stackalloc byte[128];
        for (var b = 0; b < group.Count; b++)
        {
            var batch = group[b];
            var receivedAt = SqliteTime(batch.ReceivedAt);
            var sealedBySubject = batch.SubjectSealed ? 1L : 0L;
            foreach (var row in batch.Rows)
            {
                // Indexes follow the column list; short policy keys are encoded on the stack, not allocated.
                raw.sqlite3_bind_int64(statement, 1, ids[b]);
                raw.sqlite3_bind_text(statement, 2, text[..Encoding.UTF8.GetBytes(row.Purpose, text)]);
                raw.sqlite3_bind_text(statement, 3, text[..Encoding.UTF8.GetBytes(row.Category, text)]);
                raw.sqlite3_bind_text(statement, 4, text[..Encoding.UTF8.GetBytes(row.Type, text)]);
                raw.sqlite3_bind_int64(statement, 5, SqliteTime(row.At));
                raw.sqlite3_bind_int64(statement, 6, receivedAt);
                if (row.Ip is null)
                {
                    raw.sqlite3_bind_null(statement, 7);
                }
                else
                {
                    raw.sqlite3_bind_text(statement, 7, text[..Encoding.UTF8.GetBytes(row.Ip, text)]);
                }

                raw.sqlite3_bind_int64(statement, 8, sealedBySubject);
                raw.sqlite3_bind_blob(statement, 9, row.Payload);
                var result = raw.sqlite3_step(statement);
                raw.sqlite3_reset(statement);
                if (result != raw.SQLITE_DONE)
                {
                    // SQLite's message names the constraint or condition, never a bound value.
                    throw new SqliteException(raw.sqlite3_errmsg(handle).utf8_to_string(), result);
                }
            }
        }
    }

    private static async Task CopyAsync(NpgsqlConnection db, List<EventBatch> group, long[] ids)
    {
        await using var copy = await db.BeginBinaryImportAsync($"COPY log_events ({Columns}) FROM STDIN (FORMAT BINARY)");
        for (var b = 0; b < group.Count; b++)
        {
            var batch = group[b];
            foreach (var row in batch.Rows)
            {
                // Synchronous writes: they only fill Npgsql's buffer, which flushes as it fills.
                copy.StartRow();
                copy.Write(ids[b], NpgsqlDbType.Bigint);
                copy.Write(row.Purpose, NpgsqlDbType.Varchar);
                copy.Write(row.Category, NpgsqlDbType.Varchar);
                copy.Write(row.Type, NpgsqlDbType.Varchar);
                copy.Write(row.At, NpgsqlDbType.TimestampTz);
                copy.Write(batch.ReceivedAt, NpgsqlDbType.TimestampTz);
                if (row.Ip is null)
                {
                    copy.WriteNull();
                }
                else
                {
                    copy.Write(row.Ip, NpgsqlDbType.Varchar);
                }

                copy.Write(batch.SubjectSealed, NpgsqlDbType.Boolean);
                copy.Write(row.Payload, NpgsqlDbType.Bytea);
            }
        }

        await copy.CompleteAsync();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Storing {Events} events of {Batches} batches failed ({Error}); none of them was stored")]
    private static partial void CommitFailed(ILogger logger, int events, int batches, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing the event writer's failed connection failed too ({Error})")]
    private static partial void CloseFailed(ILogger logger, string error);
}
