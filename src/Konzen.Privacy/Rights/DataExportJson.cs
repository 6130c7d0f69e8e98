using System.Text.Json;

namespace Konzen.Privacy.Rights;

/// <summary>
/// Writes the export document (schema <c>/schemas/export-v1.json</c>) to a stream as it reads it,
/// flushing whenever a chunk has built up, so memory stays flat whatever the subject holds.
/// </summary>
public static class DataExportJson
{
    /// <summary>Where the document's JSON schema is published.</summary>
    public const string SchemaPath = "/schemas/export-v1.json";

    private const int FlushThreshold = 32 * 1024;

    /// <summary>Writes the whole document for the account <paramref name="account"/> (read first, so a missing subject never starts a body).</summary>
    public static async Task WriteAsync(Stream stream, DataExport export, ExportAccount account, DateTimeOffset generatedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(export);
        ArgumentNullException.ThrowIfNull(account);
        var id = account.SubjectId;
        await using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        json.WriteStartObject();
        json.WriteString("$schema", SchemaPath);
        json.WriteNumber("version", DataExport.Version);
        json.WriteString("generatedAt", generatedAt);
        json.WriteString("subjectId", id);

        json.WriteStartObject("account");
        json.WriteString("subjectId", account.SubjectId);
        json.WriteString("region", account.Region);
        json.WriteString("createdAt", account.CreatedAt);
        json.WriteString("acceptedPolicyHash", account.AcceptedPolicyHash);
        json.WriteNumber("failedLogins", account.FailedLogins);
        WriteTime(json, "lockedUntil", account.LockedUntil);
        json.WriteStartArray("fields");
        foreach (var field in account.Fields)
        {
            json.WriteStartObject();
            json.WriteString("category", field.Category);
            json.WriteString("value", field.Value);
            json.WriteString("updatedAt", field.UpdatedAt);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();

        await WriteGuardianAsync(json, export, id, cancellationToken);

        json.WriteStartArray("consents");
        await foreach (var c in export.ConsentsAsync(id, cancellationToken))
        {
            json.WriteStartObject();
            json.WriteNumber("id", c.Id);
            json.WriteString("purpose", c.Purpose);
            json.WriteBoolean("granted", c.Granted);
            json.WriteString("policyHash", c.PolicyHash);
            json.WriteString("method", c.Method.ToString().ToLowerInvariant());
            json.WriteString("at", c.At);
            json.WriteString("receiptId", c.ReceiptId);
            json.WriteString("receipt", c.Receipt);
            json.WriteEndObject();
            await FlushAsync(json, cancellationToken);
        }

        json.WriteEndArray();

        json.WriteStartArray("transferConsents");
        await foreach (var t in export.TransferConsentsAsync(id).WithCancellation(cancellationToken))
        {
            json.WriteStartObject();
            json.WriteNumber("id", t.Id);
            json.WriteString("transferId", t.TransferId);
            json.WriteBoolean("granted", t.Granted);
            json.WriteString("noticeHash", t.NoticeHash);
            json.WriteString("language", t.Language);
            json.WriteString("at", t.At);
            json.WriteEndObject();
        }

        json.WriteEndArray();

        var positioning = await export.PositioningAsync(id, cancellationToken);
        json.WriteStartObject("positioning");
        json.WriteBoolean("on", positioning?.On ?? true);
        WriteTime(json, "since", positioning?.Since);
        json.WriteEndObject();

        json.WriteStartArray("locations");
        await foreach (var l in export.LocationsAsync(id, cancellationToken))
        {
            json.WriteStartObject();
            json.WriteString("id", l.Id);
            json.WriteString("recordedAt", l.RecordedAt);
            json.WriteString("receivedAt", l.ReceivedAt);
            json.WriteString("source", l.Source.ToString().ToLowerInvariant());
            json.WriteNumber("accuracy", l.Accuracy);
            json.WriteNumber("latitude", l.Latitude);
            json.WriteNumber("longitude", l.Longitude);
            json.WriteEndObject();
            await FlushAsync(json, cancellationToken);
        }

        json.WriteEndArray();

        json.WriteStartArray("logEvents");
        await export.WriteLogEventsAsync(json, id, FlushThreshold, cancellationToken);
        json.WriteEndArray();

        await WriteAuditAsync(json, "staffAccesses", export.AuditAsync(id, staff: true), cancellationToken);
        await WriteAuditAsync(json, "activity", export.AuditAsync(id, staff: false), cancellationToken);

        json.WriteStartArray("disclosures");
        foreach (var d in await export.DisclosuresAsync(id, cancellationToken))
        {
            json.WriteStartObject();
            json.WriteString("id", d.Id);
            json.WriteString("recipientId", d.RecipientId);
            json.WriteString("recipientName", d.RecipientName);
            json.WriteString("at", d.At);
            json.WriteString("basis", Sharing.LegalRequests.Name(d.Basis));
            json.WriteString("purpose", d.Purpose);
            json.WriteStartArray("categories");
            foreach (var category in d.Categories)
            {
                json.WriteStringValue(category);
            }

            json.WriteEndArray();
            json.WriteNumber("subjectCount", d.SubjectCount);
            json.WriteString("sha256", d.Sha256);
            if (d.K is { } k)
            {
                json.WriteNumber("k", k);
            }
            else
            {
                json.WriteNull("k");
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();

        json.WriteStartArray("identifyingAuthorizations");
        await foreach (var a in export.IdentifyingAuthorizationsAsync(id).WithCancellation(cancellationToken))
        {
            json.WriteStartObject();
            json.WriteNumber("id", a.Id);
            json.WriteString("recipientId", a.RecipientId);
            json.WriteString("recipientName", a.RecipientName);
            json.WriteStartArray("categories");
            foreach (var category in a.Categories)
            {
                json.WriteStringValue(category);
            }

            json.WriteEndArray();
            json.WriteBoolean("granted", a.Granted);
            json.WriteString("at", a.At);
            json.WriteEndObject();
            await FlushAsync(json, cancellationToken);
        }

        json.WriteEndArray();

        json.WriteStartArray("publicDisclosureConsents");
        await foreach (var c in export.PublicDisclosureConsentsAsync(id).WithCancellation(cancellationToken))
        {
            json.WriteStartObject();
            json.WriteNumber("id", c.Id);
            json.WriteString("noticeId", c.NoticeId);
            json.WriteString("noticeHash", c.NoticeHash);
            json.WriteString("language", c.Language);
            json.WriteBoolean("granted", c.Granted);
            json.WriteString("at", c.At);
            json.WriteEndObject();
            await FlushAsync(json, cancellationToken);
        }

        json.WriteEndArray();

        // One section for notifications: the chosen language decides how future ones are written, the items are what was sent.
        var language = await export.NotificationLanguageAsync(id, cancellationToken);
        json.WriteStartObject("notifications");
        json.WriteString("language", language?.Language);
        WriteTime(json, "languageUpdatedAt", language?.UpdatedAt);
        json.WriteStartArray("items");
        await foreach (var n in export.NotificationsAsync(id, cancellationToken))
        {
            json.WriteStartObject();
            json.WriteString("id", n.Id);
            json.WriteString("template", n.Template);
            json.WriteString("channel", Notices.NotificationNames.Of(n.Channel));
            json.WriteString("language", n.Language);
            json.WriteString("status", Notices.NotificationNames.Of(n.Status));
            json.WriteNumber("attempts", n.Attempts);
            json.WriteString("createdAt", n.CreatedAt);
            WriteTime(json, "sentAt", n.SentAt);
            WriteTime(json, "readAt", n.ReadAt);
            json.WriteString("subject", n.Subject);
            json.WriteString("body", n.Body);
            json.WriteEndObject();
            await FlushAsync(json, cancellationToken);
        }

        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteStartArray("requests");
        foreach (var r in await export.RequestsAsync(id, cancellationToken))
        {
            json.WriteStartObject();
            json.WriteString("id", r.Id);
            json.WriteString("kind", r.Kind.ToString().ToLowerInvariant());
            json.WriteString("status", r.Status.ToString().ToLowerInvariant());
            json.WriteString("channel", r.Channel);
            json.WriteString("createdAt", r.CreatedAt);
            json.WriteString("dueAt", r.DueAt);
            json.WriteBoolean("dueEstimated", r.DueEstimated);
            WriteTime(json, "originalDueAt", r.OriginalDueAt);
            json.WriteString("text", r.Text);
            json.WriteString("answer", r.Answer);
            json.WriteString("extensionReason", r.ExtensionReason);
            WriteTime(json, "answeredAt", r.AnsweredAt);
            json.WriteStartArray("history");
            foreach (var h in r.History)
            {
                json.WriteStartObject();
                json.WriteString("at", h.At);
                json.WriteString("from", h.From?.ToString().ToLowerInvariant());
                json.WriteString("to", h.To.ToString().ToLowerInvariant());
                json.WriteString("note", h.Note);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();

        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }

    /// <summary>The <c>guardian</c> section: present as null for a subject never registered as a minor, as every section stays present.</summary>
    private static async Task WriteGuardianAsync(Utf8JsonWriter json, DataExport export, Guid id, CancellationToken cancellationToken)
    {
        if (await export.GuardianAsync(id, cancellationToken) is not { } guardian)
        {
            json.WriteNull("guardian");
            return;
        }

        json.WriteStartObject("guardian");
        json.WriteBoolean("minor", guardian.Minor);
        json.WriteBoolean("child", guardian.Child);
        json.WriteString("markedAt", guardian.MarkedAt);
        json.WriteString("channel", guardian.Channel);
        json.WriteString("address", guardian.Address);
        json.WriteBoolean("verified", guardian.Verified);
        WriteTime(json, "verifiedAt", guardian.VerifiedAt);
        json.WriteStartArray("consents");
        foreach (var c in guardian.Consents)
        {
            json.WriteStartObject();
            json.WriteNumber("id", c.Id);
            json.WriteString("purpose", c.Purpose);
            json.WriteBoolean("granted", c.Granted);
            json.WriteString("at", c.At);
            json.WriteString("receiptId", c.ReceiptId);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static async Task WriteAuditAsync(Utf8JsonWriter json, string name, IAsyncEnumerable<ExportAuditEntry> entries, CancellationToken cancellationToken)
    {
        json.WriteStartArray(name);
        await foreach (var a in entries.WithCancellation(cancellationToken))
        {
            json.WriteStartObject();
            json.WriteNumber("sequence", a.Sequence);
            json.WriteString("at", a.At);
            json.WriteString("actor", a.Actor);
            json.WriteString("action", a.Action);
            json.WriteString("field", a.Field);
            json.WriteString("purpose", a.Purpose);
            json.WriteString("detail", a.Detail);
            json.WriteEndObject();
            await FlushAsync(json, cancellationToken);
        }

        json.WriteEndArray();
    }

    private static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset? value)
    {
        if (value is { } time)
        {
            json.WriteString(name, time);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static ValueTask FlushAsync(Utf8JsonWriter json, CancellationToken cancellationToken) =>
        json.BytesPending >= FlushThreshold ? new ValueTask(json.FlushAsync(cancellationToken)) : ValueTask.CompletedTask;
}
