using System.Globalization;
using System.Text.Json;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Incidents;

/// <summary>An incident as staff describe it. Every field is required; categories and stores are the policy's keys and ids.</summary>
public sealed record IncidentInput(
    DateTimeOffset? DetectedAt,
    DateTimeOffset? OccurredFrom,
    DateTimeOffset? OccurredTo,
    IReadOnlyList<string>? Categories,
    IReadOnlyList<string>? Stores,
    string? Cause,
    string? Measures);

/// <summary>What the search for affected subjects found: subjects per category, and the stores no server-side search can cover.</summary>
public sealed record IncidentFindings(IReadOnlyDictionary<string, int> SubjectsByCategory, IReadOnlyList<string> StoresNotSearchable);

/// <summary>One moment in an incident's life.</summary>
public sealed record IncidentMoment(DateTimeOffset At, string What);

/// <summary>The report staff read: the incident, the counts, the findings and the timeline, oldest first. No personal data.</summary>
public sealed record IncidentReport(
    Guid Id,
    DateTimeOffset RecordedAt,
    DateTimeOffset DetectedAt,
    DateTimeOffset OccurredFrom,
    DateTimeOffset OccurredTo,
    IReadOnlyList<string> Categories,
    IReadOnlyList<string> Stores,
    string Cause,
    string Measures,
    string Actor,
    int SubjectsAffected,
    int SubjectsNotified,
    DateTimeOffset? OfficerNotifiedAt,
    string? OfficerError,
    IncidentFindings Findings,
    IReadOnlyList<IncidentMoment> Timeline);

/// <summary>The outcome of recording an incident: its report, or the field errors (and nothing stored).</summary>
public sealed record IncidentRecorded(IncidentReport? Report, IReadOnlyDictionary<string, string[]>? Errors = null);

/// <summary>
/// Security incidents (S3.3, PIPL Art. 57): staff record what happened; the system finds the subjects
/// who had data of the named categories in the named stores during the window, queues the
/// <see cref="NotificationTemplates.SecurityIncident"/> notice to each in their language, tells the
/// privacy officer by mail, and keeps a report. Each step is audited.
/// </summary>
/// <remarks>
/// "Had data in the window" is what the store can still tell: a row written by the window's end and
/// still held (a vault field of a subject registered by then, a location point or log event received by
/// then, the password hash of every account opened by then, the consent history recorded by then). A
/// row already deleted cannot be found, and data in a store on the subjects' own devices (the app cache)
/// cannot be searched from here: the report names such stores so staff can reach those people otherwise.
/// Erring towards telling more people is deliberate: a notice too many costs less than one missed.
/// The incident, its subjects and its audit entry commit first; the notices follow in bulk, one
/// transaction per <see cref="NotificationOptions.EnqueueBatchSize"/> subjects. Should that stop half way
/// (a crash), the incident stands with <see cref="Incident.SubjectsNotified"/> at 0, which tells staff
/// the notices must be sent again.
/// </remarks>
public sealed partial class SecurityIncidents(
    PrivacyDbContext db,
    NotificationOutbox outbox,
    EpochKeys epochs,
    CompiledPolicy policy,
    AuditLog audit,
    EmailSender email,
    IOptions<IncidentOptions> options,
    TimeProvider time,
    ILogger<SecurityIncidents> logger)
{
    /// <summary>The longest cause or measures text.</summary>
    public const int MaxTextLength = 2000;

    /// <summary>The store whose rows (vault fields, locations, accounts, consents) are searched.</summary>
    public const string DatabaseStore = "database";

    /// <summary>The store whose log events are searched.</summary>
    public const string LogStore = "server-logs";

    private const string CredentialsCategory = "user.authorization.credentials";
    private const string PreferencesCategory = "user.privacy_preferences";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Records the incident, finds and notifies the affected subjects and the officer; see the class remarks.</summary>
    public async Task<IncidentRecorded> RecordAsync(IncidentInput input, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var now = time.GetUtcNow();
        if (Validate(input, now) is { } errors)
        {
            return new IncidentRecorded(null, errors);
        }

        var categories = input.Categories!.Distinct(StringComparer.Ordinal).ToList();
        var stores = input.Stores!.Distinct(StringComparer.Ordinal).ToList();
        var to = input.OccurredTo!.Value;
        var (affected, byCategory) = await FindAffectedAsync(categories, stores, to, cancellationToken);
        var notSearchable = stores.Where(s => s is not DatabaseStore and not LogStore).ToList();

        var incident = new Incident
        {
            Id = Guid.CreateVersion7(now),
            RecordedAt = now,
            DetectedAt = input.DetectedAt!.Value,
            OccurredFrom = input.OccurredFrom!.Value,
            OccurredTo = to,
            Categories = string.Join(' ', categories),
            Stores = string.Join(' ', stores),
            Cause = input.Cause!.Trim(),
            Measures = input.Measures!.Trim(),
            Actor = actor,
            SubjectsAffected = affected.Count,
            Findings = JsonSerializer.Serialize(new IncidentFindings(byCategory, notSearchable), Json),
        };
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            db.Add(incident);
            await db.SaveChangesAsync(cancellationToken);
            await BulkInsert.InsertAsync(db, [.. affected.Order().Select(s => new IncidentSubject { IncidentId = incident.Id, SubjectId = s })], cancellationToken);
            await audit.SaveChangesAsync(db, new AuditRecord(actor, "incident.recorded",
                Detail: $"incident {incident.Id}: categories {incident.Categories}; stores {incident.Stores}; occurred {Stamp(incident.OccurredFrom)} to {Stamp(to)}; " +
                    $"detected {Stamp(incident.DetectedAt)}; {affected.Count.ToString(CultureInfo.InvariantCulture)} subjects affected"), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        db.ChangeTracker.Clear();
        // In bulk, as a notice to everyone goes: an incident can touch every subject, and one subject at a
        // time took minutes for 100,000. A subject deleted since it was found is skipped, not counted.
        var notified = await outbox.EnqueueForManyAsync(affected, NotificationTemplates.SecurityIncident, Values(incident, categories), cancellationToken);

        incident.SubjectsNotified = notified;
        incident.SubjectsNotifiedAt = time.GetUtcNow();
        (incident.OfficerNotifiedAt, incident.OfficerError) = await TellOfficerAsync(incident, cancellationToken);
        db.Attach(incident);
        db.Entry(incident).Property(i => i.SubjectsNotified).IsModified = true;
        db.Entry(incident).Property(i => i.SubjectsNotifiedAt).IsModified = true;
        db.Entry(incident).Property(i => i.OfficerNotifiedAt).IsModified = true;
        db.Entry(incident).Property(i => i.OfficerError).IsModified = true;
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "incident.notified",
            Detail: $"incident {incident.Id}: notice queued for {notified.ToString(CultureInfo.InvariantCulture)} subjects; officer {(incident.OfficerNotifiedAt is null ? "not reached (" + incident.OfficerError + ")" : "mailed")}"),
            cancellationToken);
        db.ChangeTracker.Clear();
        return new IncidentRecorded(ReportOf(incident));
    }

    /// <summary>Every incident, newest first.</summary>
    public async Task<IReadOnlyList<IncidentReport>> ListAsync(CancellationToken cancellationToken = default) =>
        [.. (await db.Set<Incident>().AsNoTracking().OrderByDescending(i => i.RecordedAt).ThenByDescending(i => i.Id).ToListAsync(cancellationToken)).Select(ReportOf)];

    /// <summary>One incident's report, or null.</summary>
    public async Task<IncidentReport?> FindAsync(Guid incidentId, CancellationToken cancellationToken = default) =>
        await db.Set<Incident>().AsNoTracking().FirstOrDefaultAsync(i => i.Id == incidentId, cancellationToken) is { } incident ? ReportOf(incident) : null;

    /// <summary>The subjects an incident affected (staff may need to reach them by other means).</summary>
    public async Task<IReadOnlyList<Guid>> SubjectsAsync(Guid incidentId, CancellationToken cancellationToken = default) =>
        await db.Set<IncidentSubject>().AsNoTracking().Where(s => s.IncidentId == incidentId).OrderBy(s => s.SubjectId).Select(s => s.SubjectId).ToListAsync(cancellationToken);

    private async Task<(HashSet<Guid> Affected, SortedDictionary<string, int> ByCategory)> FindAffectedAsync(
        IReadOnlyList<string> categories, IReadOnlyList<string> stores, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var affected = new HashSet<Guid>();
        var byCategory = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var existing = db.Subjects.AsNoTracking().Where(s => s.CreatedAt <= to);
        foreach (var key in categories)
        {
            var category = policy[policy.Category(key)];
            var found = new HashSet<Guid>();
            if (category.Stores.Contains(DatabaseStore) && stores.Contains(DatabaseStore))
            {
                found.UnionWith(await existing.Where(s => db.PersonalFields.Any(f => f.SubjectId == s.Id && f.Field == key)).Select(s => s.Id).ToListAsync(cancellationToken));
                if (key == CredentialsCategory)
                {
                    found.UnionWith(await existing.Select(s => s.Id).ToListAsync(cancellationToken));
                }
                else if (key == PreferencesCategory)
                {
                    found.UnionWith(await existing.Where(s => db.Set<ConsentEvent>().Any(e => e.SubjectId == s.Id && e.At <= to)).Select(s => s.Id).ToListAsync(cancellationToken));
                }
                else if (key is LocationIntake.PreciseCategory or LocationIntake.CityCategory)
                {
                    found.UnionWith(await db.Set<LocationPoint>().AsNoTracking().Where(p => p.ReceivedAt <= to).Select(p => p.SubjectId).Distinct().ToListAsync(cancellationToken));
                }
            }

            if (category.Stores.Contains(LogStore) && stores.Contains(LogStore))
            {
                found.UnionWith(await LogSubjectsAsync(key, to, existing, cancellationToken));
            }

            byCategory[key] = found.Count;
            affected.UnionWith(found);
        }

        return (affected, byCategory);
    }

    // Log events carry a pseudonym per period, not a subject id: each period's key (while it is still
    // held) turns every candidate subject into its pseudonym, and the events' pseudonyms are matched
    // against those. A period whose key was destroyed is no longer anyone's, by design.
    private async Task<List<Guid>> LogSubjectsAsync(string category, DateTimeOffset to, IQueryable<Subjects.Subject> existing, CancellationToken cancellationToken)
    {
        var pseudonyms = await db.Set<EventPseudonym>().AsNoTracking()
            .Where(p => db.Set<LogEvent>().Any(e => e.PseudonymId == p.Id && e.Category == category && e.ReceivedAt <= to))
            .Select(p => new { p.Epoch, p.Hmac })
            .ToListAsync(cancellationToken);
        if (pseudonyms.Count == 0)
        {
            return [];
        }

        var candidates = await existing.Select(s => s.Id).ToListAsync(cancellationToken);
        var found = new List<Guid>();
        foreach (var period in pseudonyms.GroupBy(p => p.Epoch))
        {
            if (await epochs.FindAsync(period.Key, cancellationToken) is not { } key)
            {
                continue;
            }

            var wanted = period.Select(p => Convert.ToHexString(p.Hmac)).ToHashSet(StringComparer.Ordinal);
            found.AddRange(candidates.Where(id => wanted.Contains(Convert.ToHexString(EventIntake.Pseudonym(key.Key, EventActor.Subject(id))))));
        }

        return found;
    }

    private async Task<(DateTimeOffset? At, string? Error)> TellOfficerAsync(Incident incident, CancellationToken cancellationToken)
    {
        var officer = options.Value.OfficerEmail ?? policy.Document.Controller.Contact.FirstOrDefault(c => c.Kind == "email")?.Address;
        if (officer is null)
        {
            return (null, "no-address");
        }

        try
        {
            // Counts and staff text only: the officer reads the list of subjects in the admin API.
            await email.SendAsync(new EmailMessage(officer, $"Security incident {incident.Id}: {incident.SubjectsAffected} subjects affected", string.Create(CultureInfo.InvariantCulture,
                $"Security incident {incident.Id}\n\nOccurred: {Stamp(incident.OccurredFrom)} to {Stamp(incident.OccurredTo)}\nDetected: {Stamp(incident.DetectedAt)}\nRecorded: {Stamp(incident.RecordedAt)} by {incident.Actor}\n" +
                $"Categories: {incident.Categories}\nStores: {incident.Stores}\nCause: {incident.Cause}\nMeasures: {incident.Measures}\n\n" +
                $"Subjects affected: {incident.SubjectsAffected}; notice queued for {incident.SubjectsNotified}.\nThe report: GET /api/v1/admin/incidents/{incident.Id}\n")),
                cancellationToken);
            return (time.GetUtcNow(), null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogOfficerMailFailed(logger, incident.Id, e.GetType().Name);
            return (null, e.GetType().Name);
        }
    }

    private Dictionary<string, string> Values(Incident incident, IReadOnlyList<string> categories)
    {
        var names = categories.Select(k => policy[policy.Category(k)].Name).ToList();
        var contact = options.Value.OfficerEmail ?? policy.Document.Controller.Contact.FirstOrDefault(c => c.Kind == "email")?.Address ?? policy.Document.Controller.Contact[0].Address;
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["occurredFrom"] = Day(incident.OccurredFrom),
            ["occurredTo"] = Day(incident.OccurredTo),
            ["detected"] = Day(incident.DetectedAt),
            ["categories"] = string.Join(", ", names.Select(n => n.En)),
            ["categoriesZh"] = string.Join("、", names.Select(n => n.ZhCn)),
            ["cause"] = incident.Cause,
            ["measures"] = incident.Measures,
            ["contact"] = contact,
        };
    }

    private Dictionary<string, string[]>? Validate(IncidentInput input, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (name, value) in new[] { ("detectedAt", input.DetectedAt), ("occurredFrom", input.OccurredFrom), ("occurredTo", input.OccurredTo) })
        {
            if (value is null)
            {
                errors[name] = ["A date and time (ISO 8601) is required."];
            }
            else if (value > now)
            {
                errors[name] = ["Cannot lie in the future."];
            }
        }

        if (input.OccurredFrom > input.OccurredTo)
        {
            errors["occurredTo"] = ["Must not lie before occurredFrom."];
        }

        if (input.DetectedAt < input.OccurredFrom)
        {
            errors["detectedAt"] = ["Must not lie before occurredFrom."];
        }

        if (input.Categories is not { Count: > 0 } categories || categories.Any(c => c is null || policy.Category(c) == CategoryId.Undeclared))
        {
            errors["categories"] = ["One or more of the policy's category keys, such as user.contact.email."];
        }

        var storeIds = policy.Document.Stores.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        if (input.Stores is not { Count: > 0 } stores || stores.Any(s => s is null || !storeIds.Contains(s)))
        {
            errors["stores"] = [$"One or more of the policy's stores: {string.Join(", ", storeIds.Order(StringComparer.Ordinal))}."];
        }

        foreach (var (name, text) in new[] { ("cause", input.Cause), ("measures", input.Measures) })
        {
            if (string.IsNullOrWhiteSpace(text) || text.Trim().Length > MaxTextLength || text.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t'))
            {
                errors[name] = [$"A text of 1 to {MaxTextLength} characters is required."];
            }
        }

        return errors.Count == 0 ? null : errors;
    }

    private static IncidentReport ReportOf(Incident incident)
    {
        var timeline = new List<IncidentMoment>
        {
            new(incident.OccurredFrom, "occurred from"),
            new(incident.OccurredTo, "occurred until"),
            new(incident.DetectedAt, "detected"),
            new(incident.RecordedAt, "recorded"),
        };
        if (incident.SubjectsNotifiedAt is { } notifiedAt)
        {
            timeline.Add(new(notifiedAt, $"notice queued for {incident.SubjectsNotified.ToString(CultureInfo.InvariantCulture)} subjects"));
        }

        if (incident.OfficerNotifiedAt is { } officerAt)
        {
            timeline.Add(new(officerAt, "privacy officer mailed"));
        }

        return new IncidentReport(
            incident.Id, incident.RecordedAt, incident.DetectedAt, incident.OccurredFrom, incident.OccurredTo,
            incident.Categories.Split(' ', StringSplitOptions.RemoveEmptyEntries), incident.Stores.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            incident.Cause, incident.Measures, incident.Actor, incident.SubjectsAffected, incident.SubjectsNotified, incident.OfficerNotifiedAt, incident.OfficerError,
            JsonSerializer.Deserialize<IncidentFindings>(incident.Findings, Json) ?? new IncidentFindings(new Dictionary<string, int>(), []),
            [.. timeline.OrderBy(m => m.At)]);
    }

    private static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Error, Message = "The mail to the privacy officer about incident {IncidentId} failed ({ErrorType})")]
    private static partial void LogOfficerMailFailed(ILogger logger, Guid incidentId, string errorType);
}
