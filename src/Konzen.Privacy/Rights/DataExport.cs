using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Residency;
using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Rights;

/// <summary>The account row and every personal field, decrypted.</summary>
public sealed record ExportAccount(
    Guid SubjectId, string Region, DateTimeOffset CreatedAt, string AcceptedPolicyHash, int FailedLogins, DateTimeOffset? LockedUntil, IReadOnlyList<ExportField> Fields);

/// <summary>One personal field: its policy category and value (null when the vault gave none).</summary>
public sealed record ExportField(string Category, string? Value, DateTimeOffset UpdatedAt);

/// <summary>One consent or withdrawal, with its signed receipt (JWS).</summary>
public sealed record ExportConsent(long Id, string Purpose, bool Granted, string PolicyHash, ConsentMethod Method, DateTimeOffset At, Guid ReceiptId, string Receipt);

/// <summary>One separate consent to, or withdrawal from, a cross-border transfer.</summary>
public sealed record ExportTransferConsent(long Id, string TransferId, bool Granted, string? NoticeHash, string? Language, DateTimeOffset At);

/// <summary>Whether the subject's device last reported positioning on, and since when.</summary>
public sealed record ExportPositioning(bool On, DateTimeOffset Since);

/// <summary>One location point, decrypted at full precision.</summary>
public sealed record ExportLocation(Guid Id, DateTimeOffset RecordedAt, DateTimeOffset ReceivedAt, LocationSource Source, double Accuracy, double Latitude, double Longitude);

/// <summary>One log event, its content decrypted; <see cref="Period"/> is the pseudonymization period it was stored under.</summary>
public sealed record ExportLogEvent(
    long Id, int Period, string Type, string Purpose, string Category, DateTimeOffset At, DateTimeOffset ReceivedAt, string? Ip,
    string? Page, string? Target, IReadOnlyList<KeyValuePair<string, string>> Data);

/// <summary>One disclosure that touched the subject: to whom, when, on what basis, what, to how many subjects, and the hash of what left.</summary>
public sealed record ExportDisclosure(
    Guid Id, string RecipientId, string RecipientName, DateTimeOffset At, DisclosureBasis Basis, string Purpose, IReadOnlyList<string> Categories,
    int SubjectCount, string Sha256, int? K);

/// <summary>One audit entry naming the subject: who did what to which field, for which purpose, when.</summary>
public sealed record ExportAuditEntry(long Sequence, DateTimeOffset At, string Actor, string Action, string? Field, string? Purpose, string? Detail);

/// <summary>
/// Everything held about one subject (S6.1), section by section. The large sections are
/// <see cref="IAsyncEnumerable{T}"/> over streaming queries, so an export of a million events holds one
/// row at a time; the sections share this scope's context and must be read one after the other.
/// Personal fields are read through the vault with the subject as actor, so the export itself leaves
/// its reads in the audit log. Log events are found the way only the key holder can: the subject's
/// pseudonym is recomputed for every period whose key is still held (a destroyed period's events link
/// to nobody any more, which is the point of destroying it).
/// </summary>
public sealed class DataExport(
    PrivacyDbContext db, PersonalDataVault vault, ConsentLedger ledger, SubjectKeys keys, SubjectPseudonyms pseudonyms, AuditLog audit, PrivacyRequests requests)
{
    /// <summary>The version of the export document (<c>schemas/export-v1.json</c>).</summary>
    public const int Version = 1;

    /// <summary>The audit action of an export.</summary>
    public const string ExportedAction = "rights.exported";

    /// <summary>The subject's requests and complaints, newest first, with their texts and status history.</summary>
    public Task<IReadOnlyList<RequestView>> RequestsAsync(Guid subjectId, CancellationToken cancellationToken) =>
        requests.MineAsync(subjectId, cancellationToken);

    // The purpose the account's own fields are read for: the one that needs every registration field.
    private const string ReadPurpose = "essential.service";

    private const string StaffPrefix = "staff:";

    /// <summary>The account and its personal fields, or null when there is no such subject.</summary>
    public async Task<ExportAccount?> AccountAsync(Guid subjectId, CancellationToken cancellationToken = default)
    {
        var subject = await db.Subjects.AsNoTracking().FirstOrDefaultAsync(s => s.Id == subjectId, cancellationToken);
        if (subject is null)
        {
            return null;
        }

        var rows = await db.PersonalFields.AsNoTracking().Where(f => f.SubjectId == subjectId)
            .OrderBy(f => f.Field).Select(f => new { f.Field, f.UpdatedAt }).ToListAsync(cancellationToken);
        var state = await ledger.GetStateAsync(subjectId, cancellationToken);
        var fields = new List<ExportField>(rows.Count);
        foreach (var row in rows)
        {
            var read = await vault.ReadAsync(db, state, subjectId, row.Field, ReadPurpose, Actor(subjectId), cancellationToken);
            fields.Add(new ExportField(row.Field, read.Value, row.UpdatedAt));
        }

        return new ExportAccount(subject.Id, subject.Region, subject.CreatedAt, subject.AcceptedPolicyHash, subject.FailedLogins, subject.LockedUntil, fields);
    }

    /// <summary>Every consent event, oldest first, each with its receipt.</summary>
    public async IAsyncEnumerable<ExportConsent> ConsentsAsync(Guid subjectId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var e in await ledger.GetHistoryAsync(subjectId, cancellationToken))
        {
            yield return new ExportConsent(e.Id, e.PurposeKey, e.Granted, e.PolicyHash, e.Method, e.At, e.ReceiptId, e.Receipt);
        }
    }

    /// <summary>Every transfer consent and withdrawal, oldest first.</summary>
    public IAsyncEnumerable<ExportTransferConsent> TransferConsentsAsync(Guid subjectId) =>
        db.Set<TransferConsent>().AsNoTracking().Where(c => c.SubjectId == subjectId).OrderBy(c => c.Id)
            .Select(c => new ExportTransferConsent(c.Id, c.TransferId, c.Granted, c.NoticeHash, c.Language, c.At))
            .AsAsyncEnumerable();

    /// <summary>The positioning state, or null when the device never reported it off (no row means on).</summary>
    public Task<ExportPositioning?> PositioningAsync(Guid subjectId, CancellationToken cancellationToken = default) =>
        db.Set<PositioningState>().AsNoTracking().Where(p => p.SubjectId == subjectId)
            .Select(p => new ExportPositioning(p.On, p.Since)).FirstOrDefaultAsync(cancellationToken);

    /// <summary>Every location point, in time order, decrypted.</summary>
    public async IAsyncEnumerable<ExportLocation> LocationsAsync(Guid subjectId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        byte[]? dataKey = null;
        var rows = db.Set<LocationPoint>().AsNoTracking().Where(p => p.SubjectId == subjectId)
            .OrderBy(p => p.RecordedAt).ThenBy(p => p.Id).AsAsyncEnumerable().WithCancellation(cancellationToken);
        await foreach (var row in rows)
        {
            dataKey ??= await keys.FindAsync(subjectId, cancellationToken) ?? throw new SubjectKeyMissingException(subjectId);
            var parts = FieldCipher.Decrypt(dataKey, subjectId, LocationIntake.AadField(row.Id), row.Coordinates).Split(',');
            yield return new ExportLocation(
                row.Id, row.RecordedAt, row.ReceivedAt, row.Source, row.Accuracy,
                double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture));
        }
    }

    /// <summary>One of the subject's points by id; null when it is not the subject's (or does not exist), which the caller answers alike.</summary>
    public async Task<ExportLocation?> LocationAsync(Guid subjectId, Guid pointId, CancellationToken cancellationToken = default)
    {
        var row = await db.Set<LocationPoint>().AsNoTracking().FirstOrDefaultAsync(p => p.Id == pointId && p.SubjectId == subjectId, cancellationToken);
        if (row is null)
        {
            return null;
        }

        var dataKey = await keys.FindAsync(subjectId, cancellationToken) ?? throw new SubjectKeyMissingException(subjectId);
        var parts = FieldCipher.Decrypt(dataKey, subjectId, LocationIntake.AadField(row.Id), row.Coordinates).Split(',');
        return new ExportLocation(
            row.Id, row.RecordedAt, row.ReceivedAt, row.Source, row.Accuracy,
            double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    /// <summary>Every log event stored under one of the subject's pseudonyms, period by period, in time order, decrypted.</summary>
    public async IAsyncEnumerable<ExportLogEvent> LogEventsAsync(Guid subjectId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        byte[]? dataKey = null;
        foreach (var pseudonym in await pseudonyms.FindAsync(subjectId, cancellationToken))
        {
            dataKey ??= await keys.FindAsync(subjectId, cancellationToken) ?? throw new SubjectKeyMissingException(subjectId);
            using var seal = EventSeal.ForSubject(dataKey, subjectId);
            await foreach (var row in LogEventRows.ReadAsync(db, pseudonym.Id, pseudonym.Hmac, seal, cancellationToken))
            {
                var (page, target, data) = ReadPayload(row.Plaintext);
                yield return new ExportLogEvent(row.Id, pseudonym.Period, row.Type, row.Purpose, row.Category, row.At, row.ReceivedAt, row.Ip, page, target, data);
            }
        }
    }

    /// <summary>
    /// Writes every log event of the subject as the export's <c>logEvents</c> items, the same content as
    /// <see cref="LogEventsAsync"/> without materializing it: rows come from a plain data reader (no entity per row),
    /// payloads are opened into one pooled buffer, and their page, target and data are copied into the
    /// document as the JSON EventIntake wrote them (authenticated by the seal, so never rewritten).
    /// A million events must stream in seconds with flat memory.
    /// </summary>
    internal async Task WriteLogEventsAsync(Utf8JsonWriter json, Guid subjectId, int flushThreshold, CancellationToken cancellationToken)
    {
        byte[]? dataKey = null;
        foreach (var pseudonym in await pseudonyms.FindAsync(subjectId, cancellationToken))
        {
            dataKey ??= await keys.FindAsync(subjectId, cancellationToken) ?? throw new SubjectKeyMissingException(subjectId);
            using var seal = EventSeal.ForSubject(dataKey, subjectId);
            await LogEventRows.WriteAsync(db, json, pseudonym.Id, pseudonym.Period, pseudonym.Hmac, seal, flushThreshold, cancellationToken);
        }
    }

    /// <summary>
    /// The audit entries naming the subject: with <paramref name="staff"/> every access by staff
    /// (actor <c>staff:NAME</c>), otherwise everything else (the subject's own actions and the system's).
    /// </summary>
    public IAsyncEnumerable<ExportAuditEntry> AuditAsync(Guid subjectId, bool staff)
    {
        var entries = db.Set<AuditEntry>().AsNoTracking().Where(e => e.SubjectId == subjectId);
        entries = staff ? entries.Where(e => e.Actor.StartsWith(StaffPrefix)) : entries.Where(e => !e.Actor.StartsWith(StaffPrefix));
        return entries.OrderBy(e => e.Sequence)
            .Select(e => new ExportAuditEntry(e.Sequence, e.At, e.Actor, e.Action, e.Field, e.Purpose, e.Detail))
            .AsAsyncEnumerable();
    }

    /// <summary>Every disclosure that touched the subject, oldest first; never one that touched only others.</summary>
    public async Task<IReadOnlyList<ExportDisclosure>> DisclosuresAsync(Guid subjectId, CancellationToken cancellationToken = default)
    {
        var rows = await db.Set<DisclosureSubject>().AsNoTracking()
            .Where(l => l.SubjectId == subjectId)
            .Join(db.Set<Disclosure>(), l => l.DisclosureId, d => d.Id, (l, d) => d)
            .Join(db.Set<Recipient>(), d => d.RecipientId, r => r.Id, (d, r) => new { Disclosure = d, r.Name })
            .ToListAsync(cancellationToken);
        return [.. rows.OrderBy(r => r.Disclosure.At).ThenBy(r => r.Disclosure.Id).Select(r => new ExportDisclosure(
            r.Disclosure.Id, r.Disclosure.RecipientId, r.Name, r.Disclosure.At, r.Disclosure.Basis, r.Disclosure.Purpose, r.Disclosure.Categories,
            r.Disclosure.SubjectCount, Convert.ToHexStringLower(r.Disclosure.Sha256), r.Disclosure.KReached))];
    }

    /// <summary>Records that the subject exported its data, in <paramref name="format"/> (json or zip), before anything is sent.</summary>
    public async Task RecordAsync(Guid subjectId, string format, CancellationToken cancellationToken = default)
    {
        await audit.SaveChangesAsync(db, new AuditRecord(Actor(subjectId), ExportedAction, subjectId, Detail: $"format {format}, document version {Version}"), cancellationToken);
    }

    private static string Actor(Guid subjectId) => $"subject:{subjectId}";

    private static (string? Page, string? Target, IReadOnlyList<KeyValuePair<string, string>> Data) ReadPayload(ReadOnlyMemory<byte> plaintext)
    {
        using var json = JsonDocument.Parse(plaintext);
        var root = json.RootElement;
        var page = root.TryGetProperty("page", out var p) ? p.GetString() : null;
        var target = root.TryGetProperty("target", out var t) ? t.GetString() : null;
        var data = new List<KeyValuePair<string, string>>();
        if (root.TryGetProperty("data", out var d))
        {
            foreach (var entry in d.EnumerateObject())
            {
                data.Add(new(entry.Name, entry.Value.GetString() ?? string.Empty));
            }
        }

        return (page, target, data);
    }
}
