using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Konzen.Privacy.Rights;

/// <summary>
/// The export's hot loop over one pseudonym's log events. It reads with a raw data reader in sequential
/// access, so a row is never an entity and its payload is read straight into a pooled buffer; EF Core's
/// materializer and a JSON parse-and-rewrite per event cost about 2.6 KB and 15 µs an event, which a
/// million events turn into seconds and gigabytes of garbage.
/// </summary>
internal static class LogEventRows
{
    // Column names as LogEventConfiguration maps them: lower-case, so they need no quoting on either store.
    private const string Query =
        "SELECT id, purpose, category, type, at, received_at, ip, subject_sealed, payload FROM log_events WHERE pseudonym_id = @pseudonym ORDER BY at, id";

    /// <summary>Writes each of the pseudonym's events as one <c>logEvents</c> item, flushing as chunks build up.</summary>
    public static async Task WriteAsync(
        PrivacyDbContext db, Utf8JsonWriter json, long pseudonymId, int period, byte[] pseudonym, EventSeal seal, int flushThreshold, CancellationToken cancellationToken)
    {
        await foreach (var row in ReadAsync(db, pseudonymId, pseudonym, seal, cancellationToken))
        {
            json.WriteStartObject();
            json.WriteNumber("id", row.Id);
            json.WriteNumber("period", period);
            json.WriteString("type", row.Type);
            json.WriteString("purpose", row.Purpose);
            json.WriteString("category", row.Category);
            json.WriteString("at", row.At);
            json.WriteString("receivedAt", row.ReceivedAt);
            json.WriteString("ip", row.Ip);
            WritePayload(json, row.Plaintext.Span);
            json.WriteEndObject();
            if (json.BytesPending >= flushThreshold)
            {
                await json.FlushAsync(cancellationToken);
            }
        }
    }

    /// <summary>
    /// The pseudonym's subject-sealed events in time order, opened. One <see cref="Row"/> is reused for
    /// every event and its plaintext lives in a pooled buffer: both are valid only until the next one.
    /// </summary>
    public static async IAsyncEnumerable<Row> ReadAsync(
        PrivacyDbContext db, long pseudonymId, byte[] pseudonym, EventSeal seal, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var toTime = TimeReader(db);
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        using var payloads = new SealedPayloads();
        var row = new Row();
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Query;
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@pseudonym";
            parameter.Value = pseudonymId;
            command.Parameters.Add(parameter);
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                // Sequential access: every column in order, once.
                row.Id = reader.GetInt64(0);
                row.Purpose = reader.GetString(1);
                row.Category = reader.GetString(2);
                row.Type = reader.GetString(3);
                row.At = toTime(reader, 4);
                row.ReceivedAt = toTime(reader, 5);
                row.Ip = reader.IsDBNull(6) ? null : reader.GetString(6);

                // A subject's pseudonym only ever names events sealed under its own key; anything else is not its content.
                if (!reader.GetBoolean(7))
                {
                    continue;
                }

                var aad = new EventAad(pseudonym, row.Purpose, row.Category, row.Type, row.At.ToUnixTimeSeconds());
                row.Plaintext = payloads.Open(reader, 8, seal, aad);
                yield return row;
            }
        }
        finally
        {
            row.Plaintext = default;
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// Writes <c>page</c>, <c>target</c> and <c>data</c> from a payload EventIntake wrote (an object with
    /// optional page and target strings and an optional data object of strings), null or empty when absent.
    /// The reader walks the payload without allocating; the values are copied as they are, already escaped by
    /// the same writer defaults, and the seal has proven them unaltered, so they are not validated again.
    /// </summary>
    internal static void WritePayload(Utf8JsonWriter json, ReadOnlySpan<byte> payload)
    {
        ReadOnlySpan<byte> page = default, target = default, data = default;
        var reader = new Utf8JsonReader(payload);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var value = payload[start..(int)reader.BytesConsumed];
            if (name.SequenceEqual("page"u8))
            {
                page = value;
            }
            else if (name.SequenceEqual("target"u8))
            {
                target = value;
            }
            else if (name.SequenceEqual("data"u8))
            {
                data = value;
            }
        }

        WriteRawOrNull(json, "page"u8, page);
        WriteRawOrNull(json, "target"u8, target);
        json.WritePropertyName("data"u8);
        if (data.IsEmpty)
        {
            json.WriteStartObject();
            json.WriteEndObject();
        }
        else
        {
            json.WriteRawValue(data, skipInputValidation: true);
        }
    }

    private static void WriteRawOrNull(Utf8JsonWriter json, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        json.WritePropertyName(name);
        if (value.IsEmpty || value.SequenceEqual("null"u8))
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteRawValue(value, skipInputValidation: true);
        }
    }

    /// <summary>One opened event; reused from row to row.</summary>
    internal sealed class Row
    {
        public long Id { get; set; }

        public string Purpose { get; set; } = string.Empty;

        public string Category { get; set; } = string.Empty;

        public string Type { get; set; } = string.Empty;

        public DateTimeOffset At { get; set; }

        public DateTimeOffset ReceivedAt { get; set; }

        public string? Ip { get; set; }

        /// <summary>The payload's JSON, in a pooled buffer the next row overwrites.</summary>
        public ReadOnlyMemory<byte> Plaintext { get; set; }
    }

    // SQLite keeps instants as 64-bit numbers through the model's converter (Conventions); PostgreSQL as timestamptz.
    internal static Func<DbDataReader, int, DateTimeOffset> TimeReader(PrivacyDbContext db)
    {
        var converter = db.Model.FindEntityType(typeof(LogEvent))?.FindProperty(nameof(LogEvent.At))?.GetTypeMapping().Converter;
        if (converter is ValueConverter<DateTimeOffset, long> numbers)
        {
            var fromNumber = numbers.ConvertFromProviderExpression.Compile();
            return (reader, ordinal) => fromNumber(reader.GetInt64(ordinal));
        }

        return (reader, ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);
    }
}
