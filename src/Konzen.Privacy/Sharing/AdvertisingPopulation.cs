using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Text.Json;
using System.Threading.Channels;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.DependencyInjection;
using SQLitePCL;

namespace Konzen.Privacy.Sharing;

/// <summary>A subject a dataset or report may include: adult, with the purpose allowed now.</summary>
internal sealed record EligibleSubject(Guid Id, int Age, SubjectState State, byte[] DataKey);

/// <summary>One advertising event, opened; <see cref="Owner"/> indexes the eligible subjects.</summary>
internal readonly record struct AdvertisingEvent(int Owner, string Category, string Type, DateTimeOffset At, string? Page, string? Target, string? Device);

/// <summary>
/// The store side of advertiser datasets and measurement, in bulk: a million events of tens of
/// thousands of subjects cannot afford a query, a key unwrap or an audit SaveChanges per subject.
/// Consent states come from the ledger in one pass (<see cref="ConsentLedger.GetStatesAsync"/>), keys
/// are unwrapped from one scan of the key store, birth dates and location points are decrypted in one pass each, every read is audited per subject in one transaction before any
/// value is used, and events are streamed with a plain data reader and opened into a pooled buffer.
/// </summary>
public sealed class AdvertisingPopulation(
    PrivacyDbContext db, KeyStoreDbContext keyStore, SubjectKeys subjectKeys, ConsentLedger ledger, EpochKeys epochs, CompiledPolicy policy, AuditLog audit, SubjectAges ages,
    IServiceScopeFactory scopes)
{
    public const string AgeRangeCategory = "user.demographic.age_range";
    public const string LocationCategory = "user.location.imprecise";

    private readonly List<AuditRecord> reads = [];

    /// <summary>
    /// The subjects for whom <paramref name="purpose"/> may use <paramref name="category"/> now and who
    /// are adults by their birth date (read through the key, audited); no birth date, no key: not included.
    /// </summary>
    internal async Task<List<EligibleSubject>> EligibleAsync(string purpose, string category, string actor, CancellationToken cancellationToken)
    {
        var purposeId = policy.Purpose(purpose);
        var categoryId = policy.Category(category);
        var everyone = await db.Subjects.AsNoTracking().Select(s => s.Id).ToListAsync(cancellationToken);
        var candidates = new Dictionary<Guid, SubjectState>();
        foreach (var (subjectId, state) in await ledger.GetStatesAsync(everyone, cancellationToken))
        {
            if (policy.Decide(state, categoryId, purposeId).Allowed)
            {
                candidates[subjectId] = state;
            }
        }

        var keys = await subjectKeys.FindManyAsync(candidates.Keys, cancellationToken);
        var adultAge = policy.Document.Minors.AdultAge;
        var known = await ages.ReadAsync(candidates, keys, actor, $"minors excluded from {purpose}", reads, cancellationToken);
        var eligible = new List<EligibleSubject>();
        foreach (var (subjectId, age) in known)
        {
            if (age >= adultAge)
            {
                eligible.Add(new EligibleSubject(subjectId, age.Value, candidates[subjectId], keys[subjectId]));
            }
        }

        // Ledger order is not subject order; a stable order makes files reproducible.
        eligible.Sort((a, b) => a.Id.CompareTo(b.Id));
        return eligible;
    }

    /// <summary>
    /// The geohash (of <paramref name="length"/>) of each subject's latest location point recorded by
    /// <paramref name="until"/>, for the subjects whose state lets <paramref name="purpose"/> use city-level
    /// location; null for the others and for those with no point. Each read is audited.
    /// </summary>
    internal async Task<string?[]> LocationsAsync(IReadOnlyList<EligibleSubject> subjects, string purpose, DateTimeOffset until, int length, string actor, CancellationToken cancellationToken)
    {
        var located = new string?[subjects.Count];
        var index = new Dictionary<Guid, int>(subjects.Count);
        var purposeId = policy.Purpose(purpose);
        var categoryId = policy.Category(LocationCategory);
        for (var i = 0; i < subjects.Count; i++)
        {
            if (policy.Decide(subjects[i].State, categoryId, purposeId).Allowed)
            {
                index[subjects[i].Id] = i;
            }
        }

        if (index.Count == 0)
        {
            return located;
        }

        var latest = new Dictionary<Guid, (DateTimeOffset At, Guid Id, byte[] Coordinates)>();
        var points = db.Set<LocationPoint>().AsNoTracking().Where(p => p.RecordedAt <= until)
            .Select(p => new { p.SubjectId, p.Id, p.RecordedAt, p.Coordinates }).AsAsyncEnumerable();
        await foreach (var p in points.WithCancellation(cancellationToken))
        {
            if (index.ContainsKey(p.SubjectId) && (!latest.TryGetValue(p.SubjectId, out var known) || p.RecordedAt > known.At))
            {
                latest[p.SubjectId] = (p.RecordedAt, p.Id, p.Coordinates);
            }
        }

        foreach (var (subjectId, point) in latest)
        {
            var i = index[subjectId];
            var (latitude, longitude) = LocationIntake.Open(subjects[i].DataKey, subjectId, point.Id, point.Coordinates);
            located[i] = Geohash.Encode(latitude, longitude, length);
            reads.Add(new AuditRecord(actor, "location.read", subjectId, LocationCategory, purpose, $"latest point as a geohash of length {length}"));
        }

        return located;
    }

    /// <summary>
    /// Puts every read of this population on record, in one transaction of its own context, so that
    /// it can run while the events are read on this one; callers await it before any value leaves.
    /// </summary>
    internal async Task RecordReadsAsync(CancellationToken cancellationToken)
    {
        if (reads.Count == 0)
        {
            return;
        }

        AuditRecord[] records = [.. reads];
        reads.Clear();
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        await using var transaction = await store.Database.BeginTransactionAsync(cancellationToken);
        await audit.AppendRangeAsync(store, records, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Calls <paramref name="visit"/> for every event stored under <paramref name="storedPurpose"/> with a
    /// time in [<paramref name="from"/>, <paramref name="to"/>) of one of <paramref name="types"/>, sent by one
    /// of the subjects, opened with that subject's key. Events are found the way only the key holder can:
    /// each subject's pseudonym is recomputed under every period key still held that can contain such events.
    /// </summary>
    internal async Task ReadEventsAsync(
        IReadOnlyList<EligibleSubject> subjects, string storedPurpose, IReadOnlySet<string> types, DateTimeOffset from, DateTimeOffset to,
        Action<AdvertisingEvent> visit, CancellationToken cancellationToken)
    {
        var owners = await PseudonymsAsync(subjects, from, cancellationToken);
        if (owners.Count == 0)
        {
            return;
        }

        // Types and categories come from a small vocabulary: the query answers their index in it, so a
        // million rows cost no strings. A category outside the vocabulary (none is written so) comes as text.
        string[] typeWords = [.. types.Order(StringComparer.Ordinal)];
        string[] categoryWords = [.. EventVocabulary.Types.Select(t => t.Value).Distinct()];
        if (typeWords.Length == 0)
        {
            return;
        }

        var typeCase = string.Join(' ', typeWords.Select((_, i) => $"WHEN @t{i} THEN {i}"));
        var categoryCase = string.Join(' ', categoryWords.Select((_, i) => $"WHEN @c{i} THEN {i}"));
        var categoryList = string.Join(", ", categoryWords.Select((_, i) => $"@c{i}"));
        var typeList = string.Join(", ", typeWords.Select((_, i) => $"@t{i}"));
        var query = new EventQuery(
            $"SELECT pseudonym_id, CASE type {typeCase} END, CASE category {categoryCase} ELSE -1 END, " +
            $"CASE WHEN category IN ({categoryList}) THEN NULL ELSE category END, at, payload FROM log_events " +
            $"WHERE purpose = @purpose AND at >= @from AND at < @to AND type IN ({typeList}) AND subject_sealed = @sealed",
            [
                ("@purpose", storedPurpose), ("@from", TimeValue(from)), ("@to", TimeValue(to)), ("@sealed", true),
                .. typeWords.Select((t, i) => ($"@t{i}", (object)t)), .. categoryWords.Select((c, i) => ($"@c{i}", (object)c)),
            ]);

        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);

        // Two stages on two cores: this one steps through the rows, the other opens and visits them,
        // in order, handed over in batches (a bounded channel keeps at most a few in memory).
        var batches = Channel.CreateBounded<EventBatch>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        var free = new ConcurrentQueue<EventBatch>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var opening = Task.Run(() => OpenAsync(batches, free, subjects, storedPurpose, typeWords, visit, stop.Token), stop.Token);
        var completed = false;
        try
        {
            var filling = free.TryDequeue(out var reused) ? reused : new EventBatch();

            // Only rows sealed under a subject's key (the query's subject_sealed), and a subject's pseudonym
            // only ever names events sealed under its own key. True when the batch is full.
            bool Keep(long pseudonym, int type, int category, Func<string> categoryText, DateTimeOffset at, ReadOnlySpan<byte> payload) =>
                owners.TryGetValue(pseudonym, out var owner)
                && filling.Add(owner.Index, owner.Hmac, type, category >= 0 ? categoryWords[category] : categoryText(), at, payload);

            async ValueTask HandOverAsync()
            {
                await batches.Writer.WriteAsync(filling, stop.Token);
                filling = free.TryDequeue(out var next) ? next : new EventBatch();
            }

            if (connection is SqliteConnection sqlite)
            {
                await StepSqliteAsync(sqlite, query, Keep, HandOverAsync, cancellationToken);
            }
            else
            {
                await ReadRowsAsync(connection, query, Keep, HandOverAsync, cancellationToken);
            }

            if (filling.Count > 0)
            {
                await batches.Writer.WriteAsync(filling, stop.Token);
            }

            completed = true;
        }
        catch (ChannelClosedException)
        {
            // The opening stage failed and closed the channel; its own exception is thrown below.
        }
        finally
        {
            batches.Writer.TryComplete();
            if (!completed)
            {
                await stop.CancelAsync();
            }

            try
            {
                await opening;
            }
            catch (OperationCanceledException) when (!completed && !cancellationToken.IsCancellationRequested)
            {
                // Stopped because reading failed; that failure is the one that propagates.
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }
    }

    /// <summary>The event query: its text and its named parameters.</summary>
    private sealed record EventQuery(string Sql, IReadOnlyList<(string Name, object Value)> Parameters);

    private delegate bool RowSink(long pseudonym, int type, int category, Func<string> categoryText, DateTimeOffset at, ReadOnlySpan<byte> payload);

    // On SQLite the rows are stepped through with the engine's own statement calls: for a million rows,
    // Microsoft.Data.Sqlite's per-column checks cost the reading stage (the pipeline's slowest) about as
    // much again as SQLite itself takes to find and decode them.
    private static async Task StepSqliteAsync(SqliteConnection sqlite, EventQuery query, RowSink keep, Func<ValueTask> full, CancellationToken cancellationToken)
    {
        var handle = sqlite.Handle!;
        var prepared = raw.sqlite3_prepare_v2(handle, query.Sql, out var statement);
        using var owned = statement;
        if (prepared != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(handle).utf8_to_string(), prepared);
        }

        foreach (var (name, value) in query.Parameters)
        {
            var index = raw.sqlite3_bind_parameter_index(statement, name);
            var bound = value switch
            {
                string text => raw.sqlite3_bind_text(statement, index, text),
                long number => raw.sqlite3_bind_int64(statement, index, number),
                bool flag => raw.sqlite3_bind_int64(statement, index, flag ? 1 : 0),
                _ => throw new ArgumentException($"No SQLite binding for a parameter of type {value.GetType().Name}.", nameof(query)),
            };
            if (bound != raw.SQLITE_OK)
            {
                throw new SqliteException(raw.sqlite3_errmsg(handle).utf8_to_string(), bound);
            }
        }

        string CategoryText() => raw.sqlite3_column_text(statement, 3).utf8_to_string();
        var categoryText = CategoryText;
        int step;
        while ((step = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (keep(
                raw.sqlite3_column_int64(statement, 0), raw.sqlite3_column_int(statement, 1), raw.sqlite3_column_int(statement, 2),
                categoryText, SqliteTime(raw.sqlite3_column_int64(statement, 4)), raw.sqlite3_column_blob(statement, 5)))
            {
                await full();
            }
        }

        if (step != raw.SQLITE_DONE)
        {
            throw new SqliteException(raw.sqlite3_errmsg(handle).utf8_to_string(), step);
        }
    }

    private static async Task ReadRowsAsync(DbConnection connection, EventQuery query, RowSink keep, Func<ValueTask> full, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = query.Sql;
        foreach (var (name, value) in query.Parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        string CategoryText() => reader.GetString(3);
        var categoryText = CategoryText;
        while (await reader.ReadAsync(cancellationToken))
        {
            if (keep(reader.GetInt64(0), reader.GetInt32(1), reader.GetInt32(2), categoryText, reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<byte[]>(5)))
            {
                await full();
            }
        }
    }

    // The second stage: opens the rows of each batch on two workers (split by subject, so each subject's
    // seal is used by one thread), then visits them in the order read.
    private static async Task OpenAsync(
        Channel<EventBatch> batches, ConcurrentQueue<EventBatch> free, IReadOnlyList<EligibleSubject> subjects,
        string storedPurpose, string[] typeWords, Action<AdvertisingEvent> visit, CancellationToken cancellationToken)
    {
        var seals = new EventSeal?[subjects.Count];
        Opener[] openers = [new(subjects, seals, storedPurpose, typeWords, 0), new(subjects, seals, storedPurpose, typeWords, 1)];
        try
        {
            await foreach (var batch in batches.Reader.ReadAllAsync(cancellationToken))
            {
                var other = Task.Run(() => openers[1].Open(batch), cancellationToken);
                openers[0].Open(batch);
                await other;
                for (var n = 0; n < batch.Count; n++)
                {
                    visit(new AdvertisingEvent(batch.Owners[n], batch.Categories[n], typeWords[batch.Types[n]], batch.Times[n], batch.Pages[n], batch.Targets[n], batch.Devices[n]));
                }

                batch.Clear();
                free.Enqueue(batch);
            }
        }
        catch (Exception failure)
        {
            // Closing the channel with the failure stops the reading stage, which then awaits this one.
            batches.Writer.TryComplete(failure);
            throw;
        }
        finally
        {
            foreach (var opener in openers)
            {
                opener.Dispose();
            }

            foreach (var seal in seals)
            {
                seal?.Dispose();
            }
        }
    }

    /// <summary>Opens the rows of a batch whose subject index has the given parity, into the batch's content columns.</summary>
    private sealed class Opener(IReadOnlyList<EligibleSubject> subjects, EventSeal?[] seals, string storedPurpose, string[] typeWords, int parity) : IDisposable
    {
        private readonly SealedPayloads payloads = new();
        private readonly Words words = new();

        public void Open(EventBatch batch)
        {
            for (var n = 0; n < batch.Count; n++)
            {
                var index = batch.Owners[n];
                if ((index & 1) != parity)
                {
                    continue;
                }

                var subject = subjects[index];
                var seal = seals[index] ??= EventSeal.ForSubject(subject.DataKey, subject.Id);
                var aad = new EventAad(batch.Hmacs[n], storedPurpose, batch.Categories[n], typeWords[batch.Types[n]], batch.Times[n].ToUnixTimeSeconds());
                var opened = payloads.Open(batch.Payload(n), seal, aad);
                (batch.Pages[n], batch.Targets[n], batch.Devices[n]) = Payload(opened.Span, words);
            }
        }

        public void Dispose() => payloads.Dispose();
    }

    /// <summary>Rows read and not yet opened: column by column, so a batch is a handful of arrays reused.</summary>
    private sealed class EventBatch
    {
        public const int Capacity = 4096;

        public int Count { get; set; }

        public int[] Owners { get; } = new int[Capacity];

        public byte[][] Hmacs { get; } = new byte[Capacity][];

        public int[] Types { get; } = new int[Capacity];

        public string[] Categories { get; } = new string[Capacity];

        public DateTimeOffset[] Times { get; } = new DateTimeOffset[Capacity];

        // The sealed payloads, copied end to end into one reused buffer rather than an array each.
        private byte[] payloads = new byte[Capacity * 128];
        private readonly int[] payloadEnds = new int[Capacity];

        public string?[] Pages { get; } = new string?[Capacity];

        public string?[] Targets { get; } = new string?[Capacity];

        public string?[] Devices { get; } = new string?[Capacity];

        /// <summary>Adds a row read; true when the batch is full.</summary>
        public bool Add(int owner, byte[] hmac, int type, string category, DateTimeOffset at, ReadOnlySpan<byte> payload)
        {
            var n = Count++;
            var start = Start(n);
            if (start + payload.Length > payloads.Length)
            {
                Array.Resize(ref payloads, Math.Max(payloads.Length * 2, start + payload.Length));
            }

            payload.CopyTo(payloads.AsSpan(start));
            payloadEnds[n] = start + payload.Length;
            Owners[n] = owner;
            Hmacs[n] = hmac;
            Types[n] = type;
            Categories[n] = category;
            Times[n] = at;
            return Count == Capacity;
        }

        public ReadOnlySpan<byte> Payload(int n) => payloads.AsSpan(Start(n), payloadEnds[n] - Start(n));

        public void Clear()
        {
            // Nothing read should be held longer than its use.
            Array.Clear(payloads, 0, Start(Count));
            Array.Clear(Pages, 0, Count);
            Array.Clear(Targets, 0, Count);
            Array.Clear(Devices, 0, Count);
            Count = 0;
        }

        private int Start(int n) => n == 0 ? 0 : payloadEnds[n - 1];
    }

    // Every subject's pseudonym row in each period that can hold events at or after `from`.
    private async Task<Dictionary<long, (int Index, byte[] Hmac)>> PseudonymsAsync(IReadOnlyList<EligibleSubject> subjects, DateTimeOffset from, CancellationToken cancellationToken)
    {
        var owners = new Dictionary<long, (int Index, byte[] Hmac)>();
        var earliest = from - EventIntake.ClockSkew;
        var periods = await keyStore.Set<EventEpochKey>().AsNoTracking().Where(k => k.EndsAt > earliest).Select(k => k.Epoch).ToListAsync(cancellationToken);
        foreach (var period in periods)
        {
            if (await epochs.FindAsync(period, cancellationToken) is not { } key)
            {
                continue;
            }

            var byHmac = new Dictionary<(ulong, ulong), (int Index, byte[] Hmac)>(subjects.Count);
            for (var i = 0; i < subjects.Count; i++)
            {
                var hmac = EventIntake.Pseudonym(key.Key, EventActor.Subject(subjects[i].Id));
                byHmac[Short(hmac)] = (i, hmac);
            }

            var rows = db.Set<EventPseudonym>().AsNoTracking().Where(p => p.Epoch == period).Select(p => new { p.Id, p.Hmac }).AsAsyncEnumerable();
            await foreach (var row in rows.WithCancellation(cancellationToken))
            {
                if (row.Hmac.Length == 32 && byHmac.TryGetValue(Short(row.Hmac), out var owner) && row.Hmac.AsSpan().SequenceEqual(owner.Hmac))
                {
                    owners[row.Id] = owner;
                }
            }
        }

        return owners;
    }

    private static (ulong, ulong) Short(byte[] hmac) =>
        (BinaryPrimitives.ReadUInt64LittleEndian(hmac), BinaryPrimitives.ReadUInt64LittleEndian(hmac.AsSpan(8)));

    // The content a dataset may use: the page, the click target, and a device's description. Values
    // repeat across a million events (a few thousand pages, a few dozen targets and models), so each is
    // read into a stack buffer and looked up among those already seen rather than allocated again.
    private static (string? Page, string? Target, string? Device) Payload(ReadOnlySpan<byte> payload, Words words)
    {
        string? page = null, target = null;
        var devices = words.Devices;
        Array.Clear(devices);
        var reader = new Utf8JsonReader(payload);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("page"u8))
            {
                reader.Read();
                page = words.Read(ref reader);
            }
            else if (reader.ValueTextEquals("target"u8))
            {
                reader.Read();
                target = words.Read(ref reader);
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var slot = -1;
                    for (var i = 0; i < devices.Length; i++)
                    {
                        if (reader.ValueTextEquals(DeviceFamilies.Keys[i]))
                        {
                            slot = i;
                        }
                    }

                    reader.Read();
                    if (slot >= 0 && reader.TokenType == JsonTokenType.String)
                    {
                        devices[slot] = words.Read(ref reader);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        string? device = null;
        foreach (var value in devices)
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                device = value;
                break;
            }
        }

        return (page, target, device);
    }

    /// <summary>The strings of one read, each allocated once: later equal values are found by their characters.</summary>
    private sealed class Words
    {
        private const int MaxLength = 512;

        private readonly Dictionary<string, string> seen = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> lookup;

        public Words() => lookup = seen.GetAlternateLookup<ReadOnlySpan<char>>();

        /// <summary>A device's description per key of <see cref="DeviceFamilies.Keys"/>, reused for every payload.</summary>
        public string?[] Devices { get; } = new string?[DeviceFamilies.Keys.Count];

        /// <summary>The string at the reader (on a value token), or null when it is not a string.</summary>
        public string? Read(ref Utf8JsonReader reader)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                return null;
            }

            var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
            if (length > MaxLength)
            {
                return reader.GetString();
            }

            Span<char> chars = stackalloc char[MaxLength];
            var written = reader.CopyString(chars);
            if (lookup.TryGetValue(chars[..written], out var known))
            {
                return known;
            }

            var value = new string(chars[..written]);
            seen.Add(value, value);
            return value;
        }
    }

    // SQLite keeps instants as 64-bit numbers through the model's converter (Conventions); PostgreSQL as timestamptz.
    private static readonly DateTimeOffsetToBinaryConverter SqliteTimes = new();
    private static readonly Func<long, DateTimeOffset> SqliteTime = SqliteTimes.ConvertFromProviderTyped;

    private object TimeValue(DateTimeOffset at) =>
        db.Database.IsSqlite() ? SqliteTimes.ConvertToProviderTyped(at) : at.ToUniversalTime();
}
