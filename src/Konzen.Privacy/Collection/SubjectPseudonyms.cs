using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Collection;

/// <summary>A subject's pseudonym in one period: the HMAC the intake computed and the row id events carry.</summary>
public sealed record SubjectPseudonym(int Period, long Id, byte[] Hmac);

/// <summary>
/// Finds a subject's log events for the rights that need them (export, deletion, cancellation): one
/// HMAC per period key still held, looked up in <c>event_pseudonyms</c>. A destroyed period's events
/// are no longer the subject's to anyone, which is the point of destroying its key.
/// </summary>
public sealed class SubjectPseudonyms(PrivacyDbContext db, KeyStoreDbContext keyStore, EpochKeys epochs)
{
    /// <summary>The subject's pseudonyms that occur in the store, oldest period first.</summary>
    public async Task<IReadOnlyList<SubjectPseudonym>> FindAsync(Guid subjectId, CancellationToken cancellationToken)
    {
        var periods = await keyStore.Set<EventEpochKey>().AsNoTracking().OrderBy(k => k.Epoch).Select(k => k.Epoch).ToListAsync(cancellationToken);
        var found = new List<SubjectPseudonym>();
        foreach (var period in periods)
        {
            if (await epochs.FindAsync(period, cancellationToken) is not { } key)
            {
                continue;
            }

            var hmac = EventIntake.Pseudonym(key.Key, EventActor.Subject(subjectId));
            if (await db.Set<EventPseudonym>().Where(p => p.Hmac == hmac).Select(p => (long?)p.Id).FirstOrDefaultAsync(cancellationToken) is { } id)
            {
                found.Add(new SubjectPseudonym(period, id, hmac));
            }
        }

        return found;
    }
}
