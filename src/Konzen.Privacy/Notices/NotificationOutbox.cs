using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

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

    // Up to this many subjects a notice to many reads their rows and languages by id; more, and one read of the table is cheaper.
    private const int ReadById = 2_000;

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
    /// Enqueues <paramref name="template"/> for every subject, <see cref="NotificationOptions.EnqueueBatchSize"/>
    /// subjects per transaction, and returns how many subjects it reached. A subject registered after
    /// the list of subjects was taken is not included. Throws <see cref="ArgumentException"/>, writing
    /// nothing, when the values do not match the template.
    /// </summary>
    public Task<int> EnqueueForAllAsync(
        NotificationTemplate template, IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken = default) =>
        EnqueueWhereAsync(template, values, include: null, cancellationToken);

    /// <summary>
    /// Enqueues <paramref name="template"/> for each of <paramref name="subjectIds"/> (a subject named twice
    /// is told once), in each one's language, <see cref="NotificationOptions.EnqueueBatchSize"/> subjects per
    /// transaction, and returns how many subjects it reached. An id with no subject (deleted since the
    /// caller found it) is skipped, not an error: one gone subject must not hold back the others' notice.
    /// Throws <see cref="ArgumentException"/>, writing nothing, when the values do not match the template.
    /// </summary>
    public async Task<int> EnqueueForManyAsync(
        IReadOnlyCollection<Guid> subjectIds, NotificationTemplate template, IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectIds);
        var json = Validate(template, values);
        var wanted = subjectIds as IReadOnlySet<Guid> ?? subjectIds.ToHashSet();
        return wanted.Count == 0 ? 0 : await EnqueueBulkAsync(await TargetsAsync(wanted, include: null, cancellationToken), template, json, cancellationToken);
    }

    /// <summary>
    /// Enqueues <paramref name="template"/> for every subject that <paramref name="include"/> accepts
    /// (given the subject's id and the channel it would be told on besides in-app, null when it has
    /// none), or for every subject when it is null. Returns how many subjects it reached.
    /// </summary>
    internal async Task<int> EnqueueWhereAsync(
        NotificationTemplate template, IReadOnlyDictionary<string, string> values, Func<Guid, NotificationChannel?, bool>? include, CancellationToken cancellationToken)
    {
        var json = Validate(template, values);
        return await EnqueueBulkAsync(await TargetsAsync(wanted: null, include, cancellationToken), template, json, cancellationToken);
    }

    /// <summary>
    /// What the channel choice needs (an id and two flags a subject) for every subject in
    /// <paramref name="wanted"/> (all when null) that <paramref name="include"/> accepts, oldest first,
    /// in one read rather than one per batch: by id for a few, one read of the table for many.
    /// </summary>
    private async Task<List<Target>> TargetsAsync(IReadOnlySet<Guid>? wanted, Func<Guid, NotificationChannel?, bool>? include, CancellationToken cancellationToken)
    {
        var query = db.Subjects.AsNoTracking();
        if (wanted is { Count: <= ReadById })
        {
            var ids = wanted.ToList();
            query = query.Where(s => ids.Contains(s.Id));
        }

        var targets = new List<Target>(wanted?.Count ?? 0);
        var rows = query.OrderBy(s => s.CreatedAt).ThenBy(s => s.Id)
            .Select(s => new Target(s.Id, s.EmailIndex != null, s.PhoneIndex != null))
            .AsAsyncEnumerable();
        await foreach (var target in rows.WithCancellation(cancellationToken))
        {
            if ((wanted is null || wanted.Contains(target.Id)) && (include is null || include(target.Id, target.Delivery)))
            {
                targets.Add(target);
            }
        }

        return targets;
    }

    /// <summary>The bulk path every notice to many takes: the rows for <paramref name="targets"/>, one transaction a batch.</summary>
    private async Task<int> EnqueueBulkAsync(List<Target> targets, NotificationTemplate template, string json, CancellationToken cancellationToken)
    {
        // The keys and languages of all of them in one pass each (a scan beats a lookup per batch), then
        // one transaction of rows per batch. Sealing is CPU work apart from the store: the next batch is
        // sealed on another thread while this one is inserted.
        var dataKeys = await keys.GetOrCreateManyAsync([.. targets.Select(t => t.Id)], cancellationToken);
        var languages = await LanguagesAsync(targets, cancellationToken);
        var now = time.GetUtcNow();
        List<Notification> Seal(Target[] chunk)
        {
            var batch = new List<Notification>(chunk.Length * 2);
            foreach (var target in chunk)
            {
                batch.AddRange(Rows(target, dataKeys[target.Id], languages.GetValueOrDefault(target.Id), template, json, now));
            }

            return batch;
        }

        var chunks = targets.Chunk(options.Value.EnqueueBatchSize).ToList();
        var next = chunks.Count > 0 ? Task.Run(() => Seal(chunks[0]), cancellationToken) : null;
        for (var i = 0; i < chunks.Count; i++)
        {
            var batch = await next!;
            var following = i + 1 < chunks.Count ? chunks[i + 1] : null;
            next = following is null ? null : Task.Run(() => Seal(following), cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await InsertAsync(batch, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        return targets.Count;
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
            foreach (var row in Rows(target, dataKey, languages.GetValueOrDefault(target.Id), template, json, now))
            {
                db.Add(row);
                written.Add(row.Id);
            }
        }

        return written;
    }

    /// <summary>The chosen languages of <paramref name="targets"/>: by id for a few, from one read of the table for many.</summary>
    private async Task<Dictionary<Guid, string>> LanguagesAsync(List<Target> targets, CancellationToken cancellationToken)
    {
        var wanted = targets.Select(t => t.Id).ToHashSet();
        var query = db.Set<NotificationLanguage>().AsNoTracking();
        if (wanted.Count <= ReadById)
        {
            query = query.Where(l => wanted.Contains(l.SubjectId));
        }

        var languages = new Dictionary<Guid, string>();
        await foreach (var row in query.Select(l => new { l.SubjectId, l.Language }).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            if (wanted.Contains(row.SubjectId))
            {
                languages[row.SubjectId] = row.Language;
            }
        }

        return languages;
    }

    /// <summary>
    /// Inserts the rows in the open transaction without the change tracker (tracking 200,000 entities
    /// was most of the time of a notice to everyone). On SQLite one prepared single-row INSERT is run
    /// per row, which SQLite executes faster than multi-row statements whose parameters it looks up by
    /// name; on PostgreSQL one binary COPY, where thousands of multi-row statements took 20 s for
    /// 100,000 subjects. Values are converted by the model's own type mappings, so the rows read back
    /// exactly as if EF Core had written them.
    /// </summary>
    private async Task InsertAsync(List<Notification> rows, CancellationToken cancellationToken)
    {
        var type = db.Model.FindEntityType(typeof(Notification))!;
        var sql = db.GetService<ISqlGenerationHelper>();
        IProperty[] properties = [.. type.GetProperties()];
        var mappings = properties.Select(p => p.GetRelationalTypeMapping()).ToArray();
        var table = sql.DelimitIdentifier(type.GetTableName()!);
        var columns = string.Join(", ", properties.Select(p => sql.DelimitIdentifier(p.GetColumnName())));
        object? Value(Notification row, int i) =>
            properties[i].GetGetter().GetClrValue(row) is { } value ? mappings[i].Converter?.ConvertToProvider(value) ?? value : null;

        if (db.Database.GetDbConnection() is NpgsqlConnection postgres)
        {
            await using var copy = await postgres.BeginBinaryImportAsync($"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)", cancellationToken);
            foreach (var row in rows)
            {
                await copy.StartRowAsync(cancellationToken);
                for (var i = 0; i < properties.Length; i++)
                {
                    if (Value(row, i) is { } value)
                    {
                        await copy.WriteAsync(value, mappings[i].StoreTypeNameBase, cancellationToken);
                    }
                    else
                    {
                        await copy.WriteNullAsync(cancellationToken);
                    }
                }
            }

            await copy.CompleteAsync(cancellationToken);
            return;
        }

        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = db.Database.CurrentTransaction!.GetDbTransaction();
        var parameters = new DbParameter[properties.Length];
        for (var i = 0; i < properties.Length; i++)
        {
            parameters[i] = mappings[i].CreateParameter(command, string.Create(CultureInfo.InvariantCulture, $"@p{i}"), null, properties[i].IsNullable);
            command.Parameters.Add(parameters[i]);
        }

        command.CommandText = $"INSERT INTO {table} ({columns}) VALUES ({string.Join(", ", parameters.Select(p => p.ParameterName))})";
        await command.PrepareAsync(cancellationToken);
        foreach (var row in rows)
        {
            for (var i = 0; i < properties.Length; i++)
            {
                parameters[i].Value = Value(row, i) ?? DBNull.Value;
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>The in-app row, and the delivery row when the subject has a channel, with the values sealed under its key.</summary>
    private static IEnumerable<Notification> Rows(Target target, byte[] dataKey, string? language, NotificationTemplate template, string json, DateTimeOffset now)
    {
        foreach (var channel in target.Delivery is { } d ? [NotificationChannel.InApp, d] : new[] { NotificationChannel.InApp })
        {
            var id = Guid.CreateVersion7(now);
            var inApp = channel == NotificationChannel.InApp;
            yield return new Notification
            {
                Id = id,
                SubjectId = target.Id,
                Channel = channel,
                TemplateKey = template.Key,
                Language = language ?? PolicyLanguage.En.Tag(),
                Values = FieldCipher.Encrypt(dataKey, target.Id, AadField(id), json),
                Status = inApp ? NotificationStatus.Sent : NotificationStatus.Pending,
                CreatedAt = now,
                NextAttemptAt = inApp ? null : now,
                SentAt = inApp ? now : null,
            };
        }
    }

    private sealed record Target(Guid Id, bool HasEmail, bool HasPhone)
    {
        /// <summary>Email when the subject has a verified address, else SMS when it has a phone number, else none.</summary>
        public NotificationChannel? Delivery => HasEmail ? NotificationChannel.Email : HasPhone ? NotificationChannel.Sms : null;
    }
}
