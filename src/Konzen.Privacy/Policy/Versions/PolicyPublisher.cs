using System.Globalization;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Policy.Versions;

/// <summary>Why a version was not published; <see cref="None"/> when it was.</summary>
public enum PublishRefusal
{
    None,

    /// <summary>The file does not load; <see cref="PublishResult.Errors"/> says why, as at start-up.</summary>
    Invalid,

    /// <summary>The effective date is sooner than now plus the policy's notice period.</summary>
    TooEarly,

    /// <summary>The effective date is not after the effective date of the latest version.</summary>
    NotAfterLatest,

    /// <summary>A version with the same content or the same version number is stored already.</summary>
    AlreadyPublished,
}

/// <summary>
/// The outcome of a publication: the stored version, its changes and how many subjects were told, or why
/// nothing was stored. <paramref name="Earliest"/> is the first day the version could take effect.
/// </summary>
public sealed record PublishResult(
    PublishRefusal Refusal,
    PublishedPolicy? Version,
    IReadOnlyList<PolicyChange> Changes,
    IReadOnlyList<PolicyError> Errors,
    DateOnly Earliest)
{
    public bool Published => Refusal == PublishRefusal.None;
}

/// <summary>
/// Publishes policy versions (S7.1): checks the file as start-up does, refuses an effective date
/// inside the notice period, stores the version with its audit entry in one transaction, then queues
/// the notice of the new version for every subject, in their language, well before it takes effect.
/// </summary>
/// <remarks>
/// The version and its audit entry commit first; the notices follow in the outbox's batches. Should
/// the notifying stop half way, the version stands with <see cref="PublishedPolicy.Notified"/> 0.
/// </remarks>
public sealed class PolicyPublisher(
    PrivacyDbContext db, PolicyVersions versions, NotificationOutbox outbox, AuditLog audit, IOptions<PolicyVersionsOptions> options, TimeProvider time)
{
    /// <summary>Who stores the first version when a node starts on a store without one.</summary>
    public const string SystemActor = "system";

    /// <summary>
    /// Publishes the policy in <paramref name="yaml"/> (<paramref name="fileName"/> names it in errors)
    /// to take effect at the start (UTC) of <paramref name="effective"/>, as <paramref name="actor"/>.
    /// </summary>
    public async Task<PublishResult> PublishAsync(string yaml, string fileName, DateOnly effective, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var loaded = PolicyLoader.Load(yaml, fileName);
        if (loaded.Policy is not { } document)
        {
            return new PublishResult(PublishRefusal.Invalid, null, [], loaded.Errors, default);
        }

        await EnsureFirstVersionAsync(cancellationToken);
        var now = time.GetUtcNow();
        var current = versions.Current;
        var latest = versions.All[^1];

        // The longer of the two notice periods: the one promised to subjects now, and the new one.
        var noticeDays = Math.Max(current.Policy.Document.Changes.NoticeDays, document.Changes.NoticeDays);
        var earliest = DateOnly.FromDateTime(now.UtcDateTime.AddDays(noticeDays));
        if (now.UtcDateTime.AddDays(noticeDays) > earliest.ToDateTime(TimeOnly.MinValue))
        {
            // A version takes effect at midnight: the first whole day after the notice period.
            earliest = earliest.AddDays(1);
        }

        var effectiveAt = PolicyVersions.StartOf(effective);
        var hash = document.Version.ContentHash;
        var refusal =
            versions.All.Any(r => r.Sequence > 0 && (r.ContentHash == hash || r.Number == document.Version.Number)) ? PublishRefusal.AlreadyPublished
            : effective < earliest ? PublishRefusal.TooEarly
            : effectiveAt <= latest.EffectiveAt ? PublishRefusal.NotAfterLatest
            : PublishRefusal.None;
        if (refusal != PublishRefusal.None)
        {
            return new PublishResult(refusal, null, [], [], earliest);
        }

        var row = new PublishedPolicy
        {
            Sequence = latest.Sequence + 1,
            Number = document.Version.Number,
            EffectiveAt = effectiveAt,
            ContentHash = hash,
            Yaml = yaml,
            PublishedAt = now,
            PublishedBy = actor,
        };
        db.Add(row);
        var changes = PolicyDiff.Between(latest.Policy.Document, document);
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "policy.published",
            Detail: string.Create(CultureInfo.InvariantCulture,
                $"version {row.Sequence} ({row.Number}, {hash}) effective {effective:yyyy-MM-dd}; {changes.Count} changes, {changes.Count(c => c.Material)} material")),
            cancellationToken);
        await versions.RefreshAsync(db, cancellationToken);

        row.Notified = await outbox.EnqueueForAllAsync(NotificationTemplates.PolicyVersion, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["version"] = row.Number,
            ["effective"] = effective.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["link"] = options.Value.ChangesLink,
        }, cancellationToken);
        db.Attach(row);
        db.Entry(row).Property(r => r.Notified).IsModified = true;
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "policy.notified",
            Detail: string.Create(CultureInfo.InvariantCulture, $"version {row.Sequence}: notice queued for {row.Notified} subjects")), cancellationToken);
        return new PublishResult(PublishRefusal.None, row, changes, [], earliest);
    }

    /// <summary>
    /// Stores the configured policy as version 1 when the store holds no version (the first start), then
    /// reads the stored versions. Safe when several nodes start at once: the key lets only one store it.
    /// </summary>
    public async Task EnsureFirstVersionAsync(CancellationToken cancellationToken = default)
    {
        await versions.RefreshAsync(db, cancellationToken);
        if (versions.All[^1].Sequence > 0)
        {
            return;
        }

        var configured = versions.Configured;
        var row = new PublishedPolicy
        {
            Sequence = 1,
            Number = configured.Version.Number,
            EffectiveAt = PolicyVersions.StartOf(configured.Version.Effective),
            ContentHash = configured.Version.ContentHash,
            Yaml = versions.ConfiguredYaml,
            PublishedAt = time.GetUtcNow(),
            PublishedBy = SystemActor,
        };
        db.Add(row);
        try
        {
            // Not audited: it is the policy the service was deployed with, not a change anyone made,
            // and the row itself says when and by what it was stored.
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another node stored its first version at the same moment; theirs stands.
            db.ChangeTracker.Clear();
        }

        await versions.RefreshAsync(db, cancellationToken);
    }
}
