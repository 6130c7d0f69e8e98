using System.Security.Cryptography;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Vault;

/// <summary>What a master-key rotation did.</summary>
/// <param name="Rewrapped">How many subject keys were rewrapped.</param>
/// <param name="MasterKeyId">The id of the master key that wraps every subject key now.</param>
public sealed record KeyRotation(int Rewrapped, string MasterKeyId);

/// <summary>
/// The subjects' data keys in the key store: created on a subject's first write, unwrapped (and
/// cached, see <see cref="SubjectKeyCache"/>) to read, rewrapped when the master key rotates, and
/// deleted to shred the subject.
/// </summary>
public sealed class SubjectKeys(KeyStoreDbContext store, MasterKeyRing master, SubjectKeyCache cache, AuditLog audit, TimeProvider time)
{
    // Up to this many subjects FindManyAsync reads keys by id; more, and one scan of the key store is cheaper.
    private const int ByIdLimit = 2_000;

    private const int RotationBatch = 500;

    /// <summary>
    /// Destroys the subject's data key. Every copy of the subject's fields (in the data store, its
    /// backups, any export) can never be decrypted again. Returns whether there was a key.
    /// </summary>
    public async Task<bool> ShredAsync(Guid subjectId, CancellationToken cancellationToken = default)
    {
        cache.Evict(subjectId);
        var deleted = await store.SubjectKeys.Where(k => k.SubjectId == subjectId).ExecuteDeleteAsync(cancellationToken);
        // Again, in case a read on another thread cached the key between the first eviction and the delete.
        cache.Evict(subjectId);
        return deleted > 0;
    }

    /// <summary>
    /// Rewraps every subject key under a new master key, in batches, without touching the data store
    /// except for one audit entry. Run again after an interruption, it finishes with the same new key.
    /// Other nodes must restart afterwards to load the new master key (until then they keep wrapping
    /// new subject keys under the old one), so rotate with the other nodes stopped.
    /// </summary>
    public async Task<KeyRotation> RotateMasterKeyAsync(PrivacyDbContext db, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var (nextKey, nextId) = master.BeginRotation();
        var rewrapped = 0;
        while (true)
        {
            var batch = await store.SubjectKeys
                .Where(k => k.MasterKeyId != nextId)
                .OrderBy(k => k.SubjectId)
                .Take(RotationBatch)
                .ToListAsync(cancellationToken);
            if (batch.Count == 0)
            {
                break;
            }

            foreach (var row in batch)
            {
                var dataKey = master.Unwrap(row.SubjectId, row.WrappedKey, row.MasterKeyId);
                row.WrappedKey = FieldCipher.Wrap(nextKey, row.SubjectId, dataKey);
                row.MasterKeyId = nextId;
                CryptographicOperations.ZeroMemory(dataKey);
            }

            await store.SaveChangesAsync(cancellationToken);
            store.ChangeTracker.Clear();
            rewrapped += batch.Count;
        }

        // The log events' pseudonymization keys are wrapped by the master key too; few, so in one go.
        var epochKeys = await store.Set<Collection.EventEpochKey>().Where(k => k.MasterKeyId != nextId).ToListAsync(cancellationToken);
        foreach (var row in epochKeys)
        {
            var wrapId = Collection.EventEpochKey.WrapId(row.Epoch);
            var key = master.Unwrap(wrapId, row.WrappedKey, row.MasterKeyId);
            row.WrappedKey = FieldCipher.Wrap(nextKey, wrapId, key);
            row.MasterKeyId = nextId;
            CryptographicOperations.ZeroMemory(key);
        }

        // So are the recipients' pseudonym keys.
        foreach (var row in await store.Set<Sharing.RecipientKey>().Where(k => k.MasterKeyId != nextId).ToListAsync(cancellationToken))
        {
            var wrapId = Sharing.RecipientKey.WrapId(row.RecipientId);
            var key = master.Unwrap(wrapId, row.WrappedKey, row.MasterKeyId);
            row.WrappedKey = FieldCipher.Wrap(nextKey, wrapId, key);
            row.MasterKeyId = nextId;
            CryptographicOperations.ZeroMemory(key);
        }

        await store.SaveChangesAsync(cancellationToken);
        master.CompleteRotation();
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "keys.rotated", Detail: $"rewrapped {rewrapped} subject keys under master key {nextId}"), cancellationToken);
        return new KeyRotation(rewrapped, nextId);
    }

    /// <summary>The subject's data key, created and stored wrapped if the subject has none yet.</summary>
    internal async Task<byte[]> GetOrCreateAsync(Guid subjectId, CancellationToken cancellationToken)
    {
        if (await FindAsync(subjectId, cancellationToken) is { } existing)
        {
            return existing;
        }

        var dataKey = RandomNumberGenerator.GetBytes(FieldCipher.KeySize);
        var row = new SubjectKey
        {
            SubjectId = subjectId,
            WrappedKey = master.Wrap(subjectId, dataKey, out var masterKeyId),
            MasterKeyId = masterKeyId,
            CreatedAt = time.GetUtcNow(),
        };
        store.SubjectKeys.Add(row);
        try
        {
            await store.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another writer created the subject's key first: use theirs, so no field is sealed under a lost key.
            store.Entry(row).State = EntityState.Detached;
            if (await FindAsync(subjectId, cancellationToken) is { } winner)
            {
                return winner;
            }

            throw;
        }

        store.Entry(row).State = EntityState.Detached;
        cache.Add(subjectId, dataKey);
        return dataKey;
    }

    /// <summary>
    /// The data keys of many subjects, created (and stored wrapped, 500 to a save) for those that have
    /// none yet. Bypasses the cache like <see cref="FindManyAsync"/>. When another writer created one of
    /// the keys meanwhile, that save fails as a whole and its subjects are taken one at a time, so no
    /// value is ever sealed under a key that was not stored.
    /// </summary>
    internal async Task<Dictionary<Guid, byte[]>> GetOrCreateManyAsync(IReadOnlyCollection<Guid> subjectIds, CancellationToken cancellationToken)
    {
        var found = await FindManyAsync(subjectIds, cancellationToken);
        var missing = subjectIds.Where(id => !found.ContainsKey(id)).Distinct().ToList();
        if (missing.Count == 0)
        {
            return found;
        }

        var now = time.GetUtcNow();
        foreach (var chunk in missing.Chunk(RotationBatch))
        {
            var created = new Dictionary<Guid, byte[]>(chunk.Length);
            foreach (var subjectId in chunk)
            {
                var dataKey = RandomNumberGenerator.GetBytes(FieldCipher.KeySize);
                created[subjectId] = dataKey;
                store.SubjectKeys.Add(new SubjectKey { SubjectId = subjectId, WrappedKey = master.Wrap(subjectId, dataKey, out var masterKeyId), MasterKeyId = masterKeyId, CreatedAt = now });
            }

            try
            {
                await store.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // A race with another writer: one at a time for this chunk, which keeps whichever key was stored first.
                store.ChangeTracker.Clear();
                foreach (var subjectId in chunk)
                {
                    found[subjectId] = await GetOrCreateAsync(subjectId, cancellationToken);
                }

                continue;
            }

            store.ChangeTracker.Clear();
            foreach (var (subjectId, dataKey) in created)
            {
                found[subjectId] = dataKey;
            }
        }

        return found;
    }

    /// <summary>
    /// The data keys of many subjects (those with none are left out), read and unwrapped in bulk: by id
    /// for a few, from one scan of the key store for many. Bypasses the cache so that tens of thousands
    /// of keys do not evict the ones the request paths use.
    /// </summary>
    internal async Task<Dictionary<Guid, byte[]>> FindManyAsync(IReadOnlyCollection<Guid> subjectIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subjectIds);
        var wanted = subjectIds as IReadOnlySet<Guid> ?? subjectIds.ToHashSet();
        var keys = new Dictionary<Guid, byte[]>(wanted.Count);
        var rows = wanted.Count > ByIdLimit
            ? store.SubjectKeys.AsNoTracking()
            : store.SubjectKeys.AsNoTracking().Where(k => wanted.Contains(k.SubjectId));
        await foreach (var row in rows.Select(k => new { k.SubjectId, k.WrappedKey, k.MasterKeyId }).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            if (wanted.Contains(row.SubjectId))
            {
                keys[row.SubjectId] = master.Unwrap(row.SubjectId, row.WrappedKey, row.MasterKeyId);
            }
        }

        return keys;
    }

    /// <summary>The subject's data key, or null if it has none (never written, or shredded).</summary>
    internal async Task<byte[]?> FindAsync(Guid subjectId, CancellationToken cancellationToken)
    {
        if (cache.TryGet(subjectId, out var cached))
        {
            return cached;
        }

        var row = await store.SubjectKeys.AsNoTracking().FirstOrDefaultAsync(k => k.SubjectId == subjectId, cancellationToken);
        if (row is null)
        {
            return null;
        }

        var dataKey = master.Unwrap(subjectId, row.WrappedKey, row.MasterKeyId);
        cache.Add(subjectId, dataKey);
        return dataKey;
    }
}
