using System.Runtime.CompilerServices;
using System.Text.Json;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Residency;
using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
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

/// <summary>
/// The subject's account as a minor's (S8.1), held since <see cref="MarkedAt"/>: whether they are a minor (and a child)
/// today by the clock, the guardian's channel and address (opened with the subject's own key; null once the key is
/// gone), whether and when the guardian verified, and every consent or withdrawal the guardian recorded.
/// No code or token hash: those are the service's secrets, not the subject's data.
/// </summary>
public sealed record ExportGuardian(
    bool Minor, bool Child, DateTimeOffset MarkedAt, string? Channel, string? Address, bool Verified, DateTimeOffset? VerifiedAt,
    IReadOnlyList<ExportGuardianConsent> Consents);

/// <summary>One consent or withdrawal the guardian recorded; <see cref="Id"/> is the same event's id in the consent history.</summary>
public sealed record ExportGuardianConsent(long Id, string Purpose, bool Granted, DateTimeOffset At, Guid ReceiptId);

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

/// <summary>One explicit authorization of identifying data for a recipient (S5.3), or its revocation (no categories).</summary>
public sealed record ExportAuthorization(long Id, string RecipientId, string RecipientName, IReadOnlyList<string> Categories, bool Granted, DateTimeOffset At);

/// <summary>One separate consent to, or withdrawal from, a public-disclosure notice (S5.4); hash and language name the text consented to.</summary>
public sealed record ExportPublicDisclosureConsent(long Id, Guid NoticeId, string? NoticeHash, string? Language, bool Granted, DateTimeOffset At);

/// <summary>
/// One notification on one channel, rendered as the subject reads it. <see cref="Subject"/> and
/// <see cref="Body"/> are null when they can no longer be rendered: the subject's key is gone or the
/// template is not in this version.
/// </summary>
public sealed record ExportNotification(
    Guid Id, string Template, NotificationChannel Channel, string Language, NotificationStatus Status, int Attempts,
    DateTimeOffset CreatedAt, DateTimeOffset? SentAt, DateTimeOffset? ReadAt, string? Subject, string? Body);

/// <summary>The language the subject chose for its notifications, and when.</summary>
public sealed record ExportNotificationLanguage(string Language, DateTimeOffset UpdatedAt);

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
    PrivacyDbContext db, PersonalDataVault vault, ConsentLedger ledger, SubjectKeys keys, SubjectPseudonyms pseudonyms, AuditLog audit, PrivacyRequests requests,
    MinorTraits minors)
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

    /// <summary>
    /// The minor's account and its guardian, or null for a subject who was never registered as a minor. A subject who
    /// has since turned 18 still gets it (with <see cref="ExportGuardian.Minor"/> false): the record and the guardian's
    /// consents are still held.
    /// </summary>
    public async Task<ExportGuardian?> GuardianAsync(Guid subjectId, CancellationToken cancellationToken = default)
    {
        var account = await db.Set<MinorAccount>().AsNoTracking().FirstOrDefaultAsync(a => a.SubjectId == subjectId, cancellationToken);
        if (account is null)
        {
            return null;
        }

        // The traits as the gate derives them today; a missing standing cannot happen with an account, so it reads as none.
        var traits = (await minors.StandingAsync(subjectId, cancellationToken))?.Traits ?? SubjectTraits.None;
        string? address = null;
        if (account.GuardianContact is { } sealedContact && await keys.FindAsync(subjectId, cancellationToken) is { } dataKey)
        {
            address = FieldCipher.Decrypt(dataKey, subjectId, Guardians.ContactField, sealedContact);
        }

        var consents = await db.Set<ConsentEvent>().AsNoTracking()
            .Where(e => e.SubjectId == subjectId && e.Method == ConsentMethod.Guardian && e.Kind == ConsentEventKind.Consent)
            .OrderBy(e => e.Id)
            .Select(e => new ExportGuardianConsent(e.Id, e.PurposeKey, e.Granted, e.At, e.ReceiptId))
            .ToListAsync(cancellationToken);
        return new ExportGuardian(
            (traits & SubjectTraits.Minor) != 0, (traits & SubjectTraits.Child) != 0, account.CreatedAt, account.GuardianChannel, address,
            account.GuardianVerifiedAt is not null, account.GuardianVerifiedAt, consents);
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
            var (latitude, longitude) = LocationIntake.Open(dataKey, subjectId, row.Id, row.Coordinates);
            yield return new ExportLocation(row.Id, row.RecordedAt, row.ReceivedAt, row.Source, row.Accuracy, latitude, longitude);
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
        var (latitude, longitude) = LocationIntake.Open(dataKey, subjectId, row.Id, row.Coordinates);
        return new ExportLocation(row.Id, row.RecordedAt, row.ReceivedAt, row.Source, row.Accuracy, latitude, longitude);
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

    /// <summary>Every authorization and revocation of identifying data the subject gave, oldest first, with the recipient's name.</summary>
    public IAsyncEnumerable<ExportAuthorization> IdentifyingAuthorizationsAsync(Guid subjectId) =>
        db.Set<IdentifyingAuthorization>().AsNoTracking().Where(a => a.SubjectId == subjectId)
            .Join(db.Set<Recipient>(), a => a.RecipientId, r => r.Id, (a, r) => new { Authorization = a, r.Name })
            .OrderBy(x => x.Authorization.Id)
            .Select(x => new ExportAuthorization(x.Authorization.Id, x.Authorization.RecipientId, x.Name, x.Authorization.Categories, x.Authorization.Granted, x.Authorization.At))
            .AsAsyncEnumerable();

    /// <summary>Every consent to, and withdrawal from, a public-disclosure notice, oldest first.</summary>
    public IAsyncEnumerable<ExportPublicDisclosureConsent> PublicDisclosureConsentsAsync(Guid subjectId) =>
        db.Set<PublicDisclosureConsent>().AsNoTracking().Where(c => c.SubjectId == subjectId).OrderBy(c => c.Id)
            .Select(c => new ExportPublicDisclosureConsent(c.Id, c.NoticeId, c.NoticeHash, c.Language, c.Granted, c.At))
            .AsAsyncEnumerable();

    /// <summary>The subject's chosen notification language, or null when it never chose (notifications are then in English).</summary>
    public Task<ExportNotificationLanguage?> NotificationLanguageAsync(Guid subjectId, CancellationToken cancellationToken = default) =>
        db.Set<NotificationLanguage>().AsNoTracking().Where(l => l.SubjectId == subjectId)
            .Select(l => new ExportNotificationLanguage(l.Language, l.UpdatedAt)).FirstOrDefaultAsync(cancellationToken);

    /// <summary>
    /// Every notification of the subject on every channel, oldest first, rendered from its sealed values
    /// the way the in-app listing renders them (in the notification's own language).
    /// </summary>
    public async IAsyncEnumerable<ExportNotification> NotificationsAsync(Guid subjectId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        byte[]? dataKey = null;
        var keyLooked = false;
        var rows = db.Set<Notification>().AsNoTracking().Where(n => n.SubjectId == subjectId)
            .OrderBy(n => n.CreatedAt).ThenBy(n => n.Id).AsAsyncEnumerable().WithCancellation(cancellationToken);
        await foreach (var row in rows)
        {
            if (!keyLooked)
            {
                // Unlike a location, a notification row outlives its values' key (a shredded key is why some
                // fail), so without the key the row is still exported, only without the text.
                dataKey = await keys.FindAsync(subjectId, cancellationToken);
                keyLooked = true;
            }

            string? subject = null;
            string? body = null;
            if (dataKey is not null && NotificationTemplates.Find(row.TemplateKey) is { } template)
            {
                (subject, body) = template.Render(NotificationOutbox.LanguageOf(row), NotificationOutbox.Open(dataKey, row));
            }

            yield return new ExportNotification(
                row.Id, row.TemplateKey, row.Channel, row.Language, row.Status, row.Attempts, row.CreatedAt, row.SentAt, row.ReadAt, subject, body);
        }
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
