using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Rights;

/// <summary>One category deleted, and how many rows went.</summary>
public sealed record DeletedCategory(string Category, int Rows);

/// <summary>
/// Something the deletion did not remove, and why: what the law or the evidence of consent requires
/// us to keep, and until when (null: until the account is cancelled).
/// </summary>
public sealed record KeptData(string Category, int Rows, string Reason, string Clause, DateTimeOffset? DeletedBy);

/// <summary>What a deletion removed and what it kept; null when the category is unknown (nothing was changed).</summary>
public sealed record DeletionReport(IReadOnlyList<DeletedCategory> Deleted, IReadOnlyList<KeptData> Kept);

/// <summary>
/// Self-service deletion (S6.1): a subject deletes one category of optional data, or all of it, at
/// once. What must stay (network logs for the period the policy gives the IP address, the consent
/// history as evidence, the account itself) is listed in the answer with its reason and deletion
/// date, never silently kept. Deletion and its audit entry commit together.
/// </summary>
public sealed class Deletions(PrivacyDbContext db, SubjectPseudonyms pseudonyms, CompiledPolicy policy, AuditLog audit, Sharing.AdSegmentCache adSegments)
{
    /// <summary>Location points and the positioning state.</summary>
    public const string LocationHistory = "location-history";

    /// <summary>The subject's log events (page views, clicks, searches, device events).</summary>
    public const string LogEvents = "log-events";

    /// <summary>The categories a subject can delete, in the order "everything" deletes them.</summary>
    public static IReadOnlyList<string> Categories { get; } = [LocationHistory, LogEvents];

    /// <summary>Deletes one category (<see cref="Categories"/>), or all of them when <paramref name="category"/> is null.</summary>
    public async Task<DeletionReport?> DeleteAsync(Guid subjectId, string? category, CancellationToken cancellationToken = default)
    {
        if (category is not null && !Categories.Contains(category))
        {
            return null;
        }

        var chosen = category is null ? Categories : [category];
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var deleted = new List<DeletedCategory>();
        var kept = new List<KeptData>();
        foreach (var item in chosen)
        {
            if (item == LocationHistory)
            {
                var points = await db.Set<LocationPoint>().Where(p => p.SubjectId == subjectId).ExecuteDeleteAsync(cancellationToken);
                await db.Set<PositioningState>().Where(p => p.SubjectId == subjectId).ExecuteDeleteAsync(cancellationToken);
                deleted.Add(new DeletedCategory(LocationHistory, points));
            }
            else
            {
                var pseudonyms = await PseudonymsAsync(subjectId, cancellationToken);

                // Network logs stay as long as the policy keeps the IP address (the Cybersecurity
                // Law's six months in the default policy); everything else of the events goes now.
                var events = await db.Set<LogEvent>().Where(e => pseudonyms.Contains(e.PseudonymId) && e.Ip == null).ExecuteDeleteAsync(cancellationToken);
                deleted.Add(new DeletedCategory(LogEvents, events));
                var networkLogs = db.Set<LogEvent>().Where(e => pseudonyms.Contains(e.PseudonymId) && e.Ip != null);
                var count = await networkLogs.CountAsync(cancellationToken);
                if (count > 0)
                {
                    var latest = await networkLogs.OrderByDescending(e => e.At).Select(e => e.At).FirstAsync(cancellationToken);
                    var ip = policy[policy.Category(EventVocabulary.IpCategory)];
                    kept.Add(new KeptData(EventVocabulary.IpCategory, count,
                        $"Network logs are kept {ip.Retention} as the law requires; they are deleted when that period ends.", ip.Clause, ip.Retention.ExpiresAt(latest)));
                }
            }
        }

        var consentEvents = await db.Set<Consent.ConsentEvent>().CountAsync(e => e.SubjectId == subjectId, cancellationToken);
        if (consentEvents > 0)
        {
            kept.Add(new KeptData("consent-history", consentEvents,
                "The history of consents and withdrawals is evidence of what you agreed to; it is kept until the account is cancelled, then only under the bare account id.", "S6.4", null));
        }

        var fields = await db.PersonalFields.CountAsync(f => f.SubjectId == subjectId, cancellationToken);
        kept.Add(new KeptData("account", fields,
            "Your account's contact details, password and birth date are needed to provide the service; correct them, or cancel the account to delete them.", "S6.4", null));

        await audit.SaveChangesAsync(db, new AuditRecord($"subject:{subjectId}", "data.deleted", subjectId,
            Detail: string.Join("; ", deleted.Select(d => $"{d.Category}: {d.Rows}")) + "; kept: " + string.Join(", ", kept.Select(k => $"{k.Category} ({k.Rows})"))), cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        // The city-level ad segment was derived from the points just deleted: it must not outlive them.
        adSegments.Evict(subjectId);
        return new DeletionReport(deleted, kept);
    }

    /// <summary>The ids of the subject's event pseudonyms, one per period key still held.</summary>
    internal async Task<List<long>> PseudonymsAsync(Guid subjectId, CancellationToken cancellationToken) =>
        [.. (await pseudonyms.FindAsync(subjectId, cancellationToken)).Select(p => p.Id)];
}
