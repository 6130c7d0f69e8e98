using System.Text.Json;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Notices;

/// <summary>An in-app notification as its subject reads it, rendered in the notification's language.</summary>
public sealed record NotificationView(Guid Id, string Template, string Language, string Subject, string Body, DateTimeOffset CreatedAt, DateTimeOffset? ReadAt);

/// <summary>How many notifications are on one channel in one status; no content.</summary>
public sealed record NotificationCount(NotificationChannel Channel, NotificationStatus Status, int Count);

/// <summary>
/// The notification outbox: every notice to a subject is stored here first and delivered by the
/// <see cref="NotificationDispatch"/>. Each enqueue writes one in-app notification (always) and one
/// for delivery: by email when the subject has a verified email address, else by SMS when it has a
/// verified phone number. The channel is chosen from the blind indexes, so enqueueing reads no
/// personal data; the address is read through the vault only when the message goes out.
/// </summary>
public sealed class NotificationOutbox(PrivacyDbContext db, SubjectKeys keys, IOptions<NotificationOptions> options, TimeProvider time)
{
    /// <summary>The most in-app notifications one listing returns.</summary>
    public const int MaxListed = 100;

    /// <summary>
    /// Enqueues <paramref name="template"/> with <paramref name="values"/> for one subject, in the subject's
    /// language, and returns the ids written (in-app first). Throws <see cref="ArgumentException"/>,
    /// writing nothing, for a template that is not registered, values that do not match its
    /// placeholders, or an unknown subject.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> EnqueueAsync(
        Guid subjectId, NotificationTemplate template, IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken = default)
    {
        var json = Validate(template, values);
        var target = await db.Subjects.AsNoTracking()
            .Where(s => s.Id == subjectId)
            .Select(s => new Target(s.Id, s.EmailIndex != null, s.PhoneIndex != null))
            .FirstOrDefaultAsync(cancellationToken)
            ?? throw new ArgumentException("There is no subject with this id.", nameof(subjectId));
        var ids = await AddAsync([target], template, json, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return ids;
    }

    /// <summary>
    /// Enqueues <paramref name="template"/> for every subject, <see cref="NotificationOptions.BatchSize"/>
    /// subjects per transaction, and returns how many subjects it reached. A subject registered after
    /// the list of subjects was taken is not included. Throws <see cref="ArgumentException"/>, writing
    /// nothing, when the values do not match the template.
    /// </summary>
    public async Task<int> EnqueueForAllAsync(
        NotificationTemplate template, IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken = default)
    {
        var json = Validate(template, values);

        // Ids only (16 bytes a subject), so even a large population fits; each batch then reads its rows.
        var all = await db.Subjects.AsNoTracking().OrderBy(s => s.CreatedAt).Select(s => s.Id).ToListAsync(cancellationToken);
        var batchSize = options.Value.BatchSize;
        var reached = 0;
        foreach (var chunk in all.Chunk(batchSize))
        {
            var targets = await db.Subjects.AsNoTracking()
                .Where(s => chunk.Contains(s.Id))
                .Select(s => new Target(s.Id, s.EmailIndex != null, s.PhoneIndex != null))
                .ToListAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await AddAsync(targets, template, json, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            db.ChangeTracker.Clear();
            reached += targets.Count;
        }

        return reached;
    }

    /// <summary>The subject's in-app notifications, newest first (at most <see cref="MaxListed"/>).</summary>
    public async Task<IReadOnlyList<NotificationView>> InAppAsync(Guid subjectId, CancellationToken cancellationToken = default)
    {
        var rows = await db.Set<Notification>().AsNoTracking()
            .Where(n => n.SubjectId == subjectId && n.Channel == NotificationChannel.InApp)
            .OrderByDescending(n => n.CreatedAt).ThenByDescending(n => n.Id)
            .Take(MaxListed)
            .ToListAsync(cancellationToken);
        if (rows.Count == 0 || await keys.FindAsync(subjectId, cancellationToken) is not { } dataKey)
        {
            return [];
        }

        var views = new List<NotificationView>(rows.Count);
        foreach (var row in rows)
        {
            // A template a later version no longer has cannot be shown; the rest still are.
            if (NotificationTemplates.Find(row.TemplateKey) is not { } template)
            {
                continue;
            }

            var (subject, body) = template.Render(LanguageOf(row), Open(dataKey, row));
            views.Add(new NotificationView(row.Id, row.TemplateKey, row.Language, subject, body, row.CreatedAt, row.ReadAt));
        }

        return views;
    }

    /// <summary>Marks one of the subject's in-app notifications read; false when the subject has no such notification.</summary>
    public async Task<bool> MarkReadAsync(Guid subjectId, Guid notificationId, CancellationToken cancellationToken = default)
    {
        var row = await db.Set<Notification>()
            .FirstOrDefaultAsync(n => n.Id == notificationId && n.SubjectId == subjectId && n.Channel == NotificationChannel.InApp, cancellationToken);
        if (row is null)
        {
            return false;
        }

        row.ReadAt ??= time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>Counts per channel and status, for the staff's view; no content, no subject.</summary>
    public async Task<IReadOnlyList<NotificationCount>> SummaryAsync(CancellationToken cancellationToken = default)
    {
        var counts = await db.Set<Notification>().AsNoTracking()
            .GroupBy(n => new { n.Channel, n.Status })
            .Select(g => new { g.Key.Channel, g.Key.Status, Count = g.Count() })
            .ToListAsync(cancellationToken);
        return [.. counts.Select(c => new NotificationCount(c.Channel, c.Status, c.Count)).OrderBy(c => c.Channel).ThenBy(c => c.Status)];
    }

    /// <summary>Sets the language the subject's future notifications are written in.</summary>
    public async Task SetLanguageAsync(Guid subjectId, PolicyLanguage language, CancellationToken cancellationToken = default)
    {
        var row = await db.Set<NotificationLanguage>().FindAsync([subjectId], cancellationToken);
        if (row is null)
        {
            row = new NotificationLanguage { SubjectId = subjectId };
            db.Add(row);
        }

        row.Language = language.Tag();
        row.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The language of the subject's notifications: its choice, else English.</summary>
    public async Task<PolicyLanguage> LanguageAsync(Guid subjectId, CancellationToken cancellationToken = default)
    {
        var tag = await db.Set<NotificationLanguage>().AsNoTracking().Where(l => l.SubjectId == subjectId).Select(l => l.Language).FirstOrDefaultAsync(cancellationToken);
        return PolicyLanguages.TryParse(tag, out var language) ? language : PolicyLanguage.En;
    }

    /// <summary>The values of a notification, opened with the subject's data key.</summary>
    internal static Dictionary<string, string> Open(byte[] dataKey, Notification row) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(FieldCipher.Decrypt(dataKey, row.SubjectId, AadField(row.Id), row.Values))
        ?? [];

    /// <summary>The row's language; anything unknown reads as English.</summary>
    internal static PolicyLanguage LanguageOf(Notification row) =>
        PolicyLanguages.TryParse(row.Language, out var language) ? language : PolicyLanguage.En;

    // The row id in the associated data: sealed values copied to another row or subject fail to open.
    private static string AadField(Guid notificationId) => $"notifications/{notificationId:N}";

    private static string Validate(NotificationTemplate template, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        if (!ReferenceEquals(NotificationTemplates.Find(template.Key), template))
        {
            throw new ArgumentException("The template is not registered in NotificationTemplates, so a stored notification could not be rendered.", nameof(template));
        }

        if (template.Check(values) is { } problem)
        {
            throw new ArgumentException($"The values do not match the template ({problem}).", nameof(values));
        }

        return JsonSerializer.Serialize(values);
    }

    private async Task<List<Guid>> AddAsync(IReadOnlyCollection<Target> targets, NotificationTemplate template, string json, CancellationToken cancellationToken)
    {
        var ids = targets.Select(t => t.Id).ToList();
        var languages = await db.Set<NotificationLanguage>().AsNoTracking()
            .Where(l => ids.Contains(l.SubjectId))
            .ToDictionaryAsync(l => l.SubjectId, l => l.Language, cancellationToken);
        var now = time.GetUtcNow();
        var written = new List<Guid>();
        foreach (var target in targets)
        {
            var dataKey = await keys.GetOrCreateAsync(target.Id, cancellationToken);
            var language = languages.GetValueOrDefault(target.Id) ?? PolicyLanguage.En.Tag();
            NotificationChannel? delivery = target.HasEmail ? NotificationChannel.Email : target.HasPhone ? NotificationChannel.Sms : null;
            foreach (var channel in delivery is { } d ? [NotificationChannel.InApp, d] : new[] { NotificationChannel.InApp })
            {
                var id = Guid.CreateVersion7(now);
                var inApp = channel == NotificationChannel.InApp;
                db.Add(new Notification
                {
                    Id = id,
                    SubjectId = target.Id,
                    Channel = channel,
                    TemplateKey = template.Key,
                    Language = language,
                    Values = FieldCipher.Encrypt(dataKey, target.Id, AadField(id), json),
                    Status = inApp ? NotificationStatus.Sent : NotificationStatus.Pending,
                    CreatedAt = now,
                    NextAttemptAt = inApp ? null : now,
                    SentAt = inApp ? now : null,
                });
                written.Add(id);
            }
        }

        return written;
    }

    private sealed record Target(Guid Id, bool HasEmail, bool HasPhone);
}
