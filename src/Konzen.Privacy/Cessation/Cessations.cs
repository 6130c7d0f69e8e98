using System.Globalization;
using System.Text.Json;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Cessation;

/// <summary>Why an announcement was not recorded; <see cref="None"/> when it was.</summary>
public enum CessationRefusal
{
    None,

    /// <summary>The day lies before today (UTC).</summary>
    DateInPast,

    /// <summary>The end of the service is announced already; an announcement is never changed or repeated.</summary>
    AlreadyAnnounced,
}

/// <summary>The outcome of an announcement: the state and how many subjects were told, or why nothing was recorded.</summary>
public sealed record CessationAnnouncement(CessationRefusal Refusal, CessationState? State, int Notified);

/// <summary>What a run of the end did.</summary>
public enum CessationRunOutcome
{
    /// <summary>No end is announced.</summary>
    NotAnnounced,

    /// <summary>The announced day has not come; nothing was touched.</summary>
    NotDue,

    /// <summary>Another node is running it now.</summary>
    InProgress,

    /// <summary>This run ended the service; the report says what it did.</summary>
    Completed,

    /// <summary>The service was ended before; the report is the earlier run's.</summary>
    AlreadyCompleted,
}

/// <summary>A run's outcome, the cessation report when there is one, and the state.</summary>
public sealed record CessationRun(CessationRunOutcome Outcome, CessationState? State, CessationReport? Report);

/// <summary>
/// The cessation report (S2.5): counts only. <see cref="RowsDeleted"/> and <see cref="RowsAnonymized"/>
/// are per table, for every table of <see cref="CessationTables.Deleted"/> and <see cref="CessationTables.KeptAnonymized"/>
/// (the key store's included); rows kept anonymized are evidence (consent history, audit entries, requests
/// and their deadlines, cancellation tombstones, disclosure links) that names only bare account ids, which
/// no longer link to anyone once the subjects and their keys are gone.
/// </summary>
public sealed record CessationReport(
    Guid Id,
    DateTimeOffset AnnouncedAt,
    DateTimeOffset CeaseAt,
    DateTimeOffset DeletionDueAt,
    DateTimeOffset CompletedAt,
    bool WithinDeadline,
    int SubjectsNotified,
    int Subjects,
    IReadOnlyDictionary<string, int> SubjectsByRegion,
    int KeysDestroyed,
    int PeriodKeysDestroyed,
    int RecipientKeysDestroyed,
    IReadOnlyDictionary<string, int> RowsDeleted,
    IReadOnlyDictionary<string, int> RowsAnonymized,
    double Seconds);

/// <summary>
/// The end of the service (S2.5). <see cref="AnnounceAsync"/> records the day, stops registration and
/// optional collection at once (through <see cref="ServiceCessation"/>) and queues the notice for every
/// subject. <see cref="RunAsync"/>, once the day has come, destroys every key in the key store (every
/// subject's data key, the log events' period keys, the recipients' pseudonym keys and the session keys:
/// every copy of anything sealed, backups included, stops decrypting), deletes the rows that held personal
/// data, keeps what is evidence under bare ids with anything beyond ids and hashes removed, and stores the
/// report. <see cref="CessationTables"/> says for every table which of these it is, and why.
/// </summary>
/// <remarks>
/// Everything is done in bulk, a statement per table, because it is every row: 100,000 subjects one by
/// one through the cancellation path would be hours. The keys go first and commit on their own (the key
/// store is another database); the data store's deletions and the report follow in one transaction, so
/// a crash between the two leaves only unreadable rows, which the next run deletes.
/// </remarks>
public sealed class Cessations(
    PrivacyDbContext db,
    KeyStoreDbContext keyStore,
    NotificationOutbox outbox,
    ServiceCessation cessation,
    SubjectKeyCache keyCache,
    EpochKeys epochs,
    CompiledPolicy policy,
    AuditLog audit,
    TimeProvider time)
{
    // A run that started this long ago without completing is taken to have died, and is taken over.
    private static readonly TimeSpan StaleClaim = TimeSpan.FromHours(1);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Announces that the service stops at the start of <paramref name="day"/> (UTC): records it with an
    /// audit entry, refuses registration and optional collection from now on, and queues the notice for
    /// every subject in their language. Refused, recording nothing, for a day before today or a second announcement.
    /// </summary>
    public async Task<CessationAnnouncement> AnnounceAsync(DateOnly day, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var now = time.GetUtcNow();
        if (day < DateOnly.FromDateTime(now.UtcDateTime))
        {
            return new CessationAnnouncement(CessationRefusal.DateInPast, null, 0);
        }

        if (await ServiceCessation.ReadAsync(db, cancellationToken) is { } existing)
        {
            return new CessationAnnouncement(CessationRefusal.AlreadyAnnounced, existing, 0);
        }

        var ceaseAt = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var record = new CessationRecord
        {
            Id = Guid.CreateVersion7(now),
            AnnouncedAt = now,
            CeaseAt = ceaseAt,
            DeletionDueAt = ceaseAt.AddDays(policy.Document.Cessation.DeletionWithinDays),
            Actor = actor,
        };
        db.Add(record);
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "service.cessation-announced",
            Detail: $"cessation {record.Id}: service stops {Day(record.CeaseAt)}; deletion due by {Day(record.DeletionDueAt)}"), cancellationToken);
        var state = new CessationState(record.AnnouncedAt, record.CeaseAt, record.DeletionDueAt, null);
        cessation.Remember(state, now);

        var contact = policy.Document.Controller.Contact.FirstOrDefault(c => c.Kind == "email") ?? policy.Document.Controller.Contact[0];
        var notified = await outbox.EnqueueForAllAsync(NotificationTemplates.ServiceCessation, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["controller"] = policy.Document.Controller.Name.En,
            ["ceaseOn"] = Day(record.CeaseAt),
            ["deleteBy"] = Day(record.DeletionDueAt),
            ["contact"] = contact.Address,
        }, cancellationToken);

        db.Attach(record);
        record.Notified = notified;
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "service.cessation-notified",
            Detail: $"cessation {record.Id}: notice queued for {notified.ToString(CultureInfo.InvariantCulture)} subjects"), cancellationToken);
        db.ChangeTracker.Clear();
        return new CessationAnnouncement(CessationRefusal.None, state, notified);
    }

    /// <summary>The announced end and, once it ran, its report; null when none is announced.</summary>
    public async Task<(CessationState State, CessationReport? Report, int Notified)?> FindAsync(CancellationToken cancellationToken = default)
    {
        var row = await db.Set<CessationRecord>().AsNoTracking().OrderBy(c => c.AnnouncedAt).FirstOrDefaultAsync(cancellationToken);
        return row is null ? null : (StateOf(row), ReportOf(row), row.Notified);
    }

    /// <summary>
    /// Ends the service when its day has come: see the class remarks. Before the day, and when no end is
    /// announced, it touches nothing. Run again after it completed, it answers the first run's report.
    /// </summary>
    public async Task<CessationRun> RunAsync(string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var record = await db.Set<CessationRecord>().AsNoTracking().OrderBy(c => c.AnnouncedAt).FirstOrDefaultAsync(cancellationToken);
        var now = time.GetUtcNow();
        if (record is null)
        {
            return new CessationRun(CessationRunOutcome.NotAnnounced, null, null);
        }

        if (record.CompletedAt is not null)
        {
            return new CessationRun(CessationRunOutcome.AlreadyCompleted, StateOf(record), ReportOf(record));
        }

        if (now < record.CeaseAt)
        {
            return new CessationRun(CessationRunOutcome.NotDue, StateOf(record), null);
        }

        // One node at a time, on either store: the claim is a conditional update that only one can win.
        var stale = now - StaleClaim;
        var claimed = await db.Set<CessationRecord>()
            .Where(c => c.Id == record.Id && c.CompletedAt == null && (c.RunStartedAt == null || c.RunStartedAt < stale))
            .ExecuteUpdateAsync(c => c.SetProperty(r => r.RunStartedAt, now), cancellationToken);
        if (claimed == 0)
        {
            return new CessationRun(CessationRunOutcome.InProgress, StateOf(record), null);
        }

        var started = time.GetTimestamp();
        var subjects = await db.Subjects.CountAsync(cancellationToken);
        var byRegion = await db.Subjects.GroupBy(s => s.Region).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);

        // The keys first, each table in one statement: from this commit on nothing sealed can be opened,
        // whatever happens to the deletions below. The caches go too, so no node-local copy outlives them.
        var keysDestroyed = await keyStore.SubjectKeys.ExecuteDeleteAsync(cancellationToken);
        var periodKeys = await keyStore.Set<EventEpochKey>().ExecuteDeleteAsync(cancellationToken);
        var recipientKeys = await keyStore.Set<Sharing.RecipientKey>().ExecuteDeleteAsync(cancellationToken);
        var sessionKeys = await keyStore.DataProtectionKeys.ExecuteDeleteAsync(cancellationToken);
        keyCache.Clear();
        epochs.Evict();

        // Every table is in one list of CessationTables, and the report names exactly the tables of the
        // first two: the tests hold the lists, this code and the model together.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var deleted = new SortedDictionary<string, int>(StringComparer.Ordinal)
        {
            ["subject_keys"] = keysDestroyed,
            ["event_epoch_keys"] = periodKeys,
            ["recipient_keys"] = recipientKeys,
            ["data_protection_keys"] = sessionKeys,
            ["personal_fields"] = await db.PersonalFields.ExecuteDeleteAsync(cancellationToken),
            ["location_points"] = await db.Set<LocationPoint>().ExecuteDeleteAsync(cancellationToken),
            ["positioning_states"] = await db.Set<PositioningState>().ExecuteDeleteAsync(cancellationToken),
            ["log_events"] = await db.Set<LogEvent>().ExecuteDeleteAsync(cancellationToken),
            ["event_pseudonyms"] = await db.Set<EventPseudonym>().ExecuteDeleteAsync(cancellationToken),
            ["notifications"] = await db.Set<Notification>().ExecuteDeleteAsync(cancellationToken),
            ["notification_languages"] = await db.Set<NotificationLanguage>().ExecuteDeleteAsync(cancellationToken),
            ["verification_codes"] = await db.Set<VerificationCode>().ExecuteDeleteAsync(cancellationToken),
            ["pending_registrations"] = await db.Set<PendingRegistration>().ExecuteDeleteAsync(cancellationToken),

            // Text messages are sealed under the node's own key file, not a subject's key: destroying the
            // key store leaves them readable, so they are deleted outright.
            ["sms_outbox"] = await db.Set<SmsOutboxMessage>().ExecuteDeleteAsync(cancellationToken),
            ["incident_subjects"] = await db.Set<Incidents.IncidentSubject>().ExecuteDeleteAsync(cancellationToken),

            // These would go with the subject rows by cascade; deleted by name, they are counted.
            ["minor_accounts"] = await db.Set<MinorAccount>().ExecuteDeleteAsync(cancellationToken),
            ["correction_requests"] = await db.Set<Rights.CorrectionRequest>().ExecuteDeleteAsync(cancellationToken),
            ["transfer_consents"] = await db.Set<Residency.TransferConsent>().ExecuteDeleteAsync(cancellationToken),
            ["identifying_authorizations"] = await db.Set<Sharing.IdentifyingAuthorization>().ExecuteDeleteAsync(cancellationToken),
            ["public_disclosure_consents"] = await db.Set<Sharing.PublicDisclosureConsent>().ExecuteDeleteAsync(cancellationToken),

            // A visitor's id is the value of a cookie in someone's browser; its consent events stay below, like a subject's.
            ["visitors"] = await db.Set<Visitor>().ExecuteDeleteAsync(cancellationToken),

            // A cancellation still open has no account left to cancel; left, it would complete later and sign a
            // certificate for an account the end deleted. The completed and undone ones stay, as tombstones.
            ["cancellation_requests"] = await db.Set<Rights.CancellationRequest>()
                .Where(c => c.Status == Rights.CancellationStatus.AwaitingCode || c.Status == Rights.CancellationStatus.Scheduled)
                .ExecuteDeleteAsync(cancellationToken),
        };

        // The subject rows last, when nothing that hangs on them is left.
        deleted["subjects"] = await db.Subjects.ExecuteDeleteAsync(cancellationToken);

        // Kept as evidence, each anonymized in one statement where it still held something beyond ids and hashes.
        byte[] nothing = [];
        var anonymized = new SortedDictionary<string, int>(StringComparer.Ordinal)
        {
            // The connection's keyed hash: its key is a node file the end does not destroy, and an IPv4 address
            // can be found again by trying every one under it.
            ["consent_events"] = await db.Set<ConsentEvent>().ExecuteUpdateAsync(c => c.SetProperty(e => e.EvidenceHash, (byte[]?)null), cancellationToken),
            ["audit_entries"] = await db.AuditEntries.CountAsync(e => e.SubjectId != null, cancellationToken),

            // The texts people wrote and the answers written to them. A subject's are sealed under its destroyed
            // key, but an anonymous report's are sealed under the requests key file: removed for all alike.
            ["privacy_requests"] = await db.Set<Rights.PrivacyRequest>().ExecuteUpdateAsync(c => c
                .SetProperty(r => r.Text, nothing)
                .SetProperty(r => r.Answer, (byte[]?)null)
                .SetProperty(r => r.ExtensionReason, (byte[]?)null)
                .SetProperty(r => r.TokenHash, (byte[]?)null), cancellationToken),
            ["privacy_request_events"] = await db.Set<Rights.PrivacyRequestEvent>().CountAsync(cancellationToken),
            ["cancellation_requests"] = await db.Set<Rights.CancellationRequest>().ExecuteUpdateAsync(c => c
                .SetProperty(r => r.CodeHash, nothing)
                .SetProperty(r => r.TokenHash, (byte[]?)null)
                .SetProperty(r => r.Certificate, (string?)null), cancellationToken),
            ["disclosure_subjects"] = await db.Set<Sharing.DisclosureSubject>().CountAsync(cancellationToken),
            ["recipient_deletion_notices"] = await db.Set<Sharing.RecipientDeletionNotice>().CountAsync(cancellationToken),
            ["legal_requests"] = await db.Set<Sharing.LegalRequest>().CountAsync(cancellationToken),
        };

        var completedAt = time.GetUtcNow();
        var report = new CessationReport(
            record.Id, record.AnnouncedAt, record.CeaseAt, record.DeletionDueAt, completedAt, completedAt <= record.DeletionDueAt,
            record.Notified, subjects, byRegion.OrderBy(r => r.Key, StringComparer.Ordinal).ToDictionary(r => r.Key, r => r.Count, StringComparer.Ordinal),
            keysDestroyed, periodKeys, recipientKeys, deleted, anonymized, time.GetElapsedTime(started).TotalSeconds);
        var json = JsonSerializer.Serialize(report, Json);
        await db.Set<CessationRecord>().Where(c => c.Id == record.Id)
            .ExecuteUpdateAsync(c => c.SetProperty(r => r.CompletedAt, completedAt).SetProperty(r => r.Report, json), cancellationToken);
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "service.ceased",
            Detail: $"cessation {record.Id}: {keysDestroyed} subject keys, {periodKeys} period keys and {recipientKeys} recipient keys destroyed; " +
                string.Join(", ", deleted.Select(d => $"{d.Key} {d.Value}")) + " deleted; kept anonymized: " +
                string.Join(", ", anonymized.Select(a => $"{a.Key} {a.Value}"))), cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        var state = new CessationState(record.AnnouncedAt, record.CeaseAt, record.DeletionDueAt, completedAt);
        cessation.Remember(state, completedAt);
        return new CessationRun(CessationRunOutcome.Completed, state, report);
    }

    private static CessationState StateOf(CessationRecord row) => new(row.AnnouncedAt, row.CeaseAt, row.DeletionDueAt, row.CompletedAt);

    private static CessationReport? ReportOf(CessationRecord row) =>
        row.Report is null ? null : JsonSerializer.Deserialize<CessationReport>(row.Report, Json);

    private static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
