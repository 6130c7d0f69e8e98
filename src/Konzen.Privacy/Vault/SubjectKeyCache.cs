using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Vault;

/// <summary>
/// Unwrapped subject keys, held briefly so that a burst of reads does not unwrap the same key from
/// the key store again and again.
/// </summary>
/// <remarks>
/// Why this and not <c>IMemoryCache</c>: the expiry here reads the injected <see cref="TimeProvider"/>,
/// so tests move time instead of sleeping, and a private cache keeps the size limit to keys alone
/// (a shared <c>IMemoryCache</c> with a size limit would demand a size from every other user).
/// Entries expire <see cref="VaultOptions.KeyCacheDuration"/> after they were loaded, absolutely:
/// a key shredded on another node stops opening fields here within that time, and on this node at
/// once (<see cref="Evict"/>). When <see cref="VaultOptions.KeyCacheSize"/> keys are held, expired
/// entries are dropped and, if it is still full, the new key is simply not cached. Evicted keys are
/// dropped, not wiped, because a read running at the same moment may still be using the array.
/// </remarks>
public sealed class SubjectKeyCache(IOptions<VaultOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<Guid, Entry> entries = new();

    /// <summary>How many keys are held now (expired ones included until they are next looked at).</summary>
    public int Count => entries.Count;

    internal bool TryGet(Guid subjectId, out byte[] key)
    {
        if (entries.TryGetValue(subjectId, out var entry))
        {
            if (entry.Expires > time.GetUtcNow())
            {
                key = entry.Key;
                return true;
            }

            entries.TryRemove(KeyValuePair.Create(subjectId, entry));
        }

        key = [];
        return false;
    }

    internal void Add(Guid subjectId, byte[] key)
    {
        var settings = options.Value;
        if (settings.KeyCacheDuration <= TimeSpan.Zero || settings.KeyCacheSize == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        if (entries.Count >= settings.KeyCacheSize)
        {
            foreach (var (id, entry) in entries)
            {
                if (entry.Expires <= now)
                {
                    entries.TryRemove(KeyValuePair.Create(id, entry));
                }
            }

            if (entries.Count >= settings.KeyCacheSize)
            {
                return;
            }
        }

        entries[subjectId] = new Entry(key, now + settings.KeyCacheDuration);
    }

    /// <summary>Forgets the subject's key, so the next read goes to the key store.</summary>
    public void Evict(Guid subjectId) => entries.TryRemove(subjectId, out _);

    /// <summary>Forgets every key, after the whole key store was destroyed (the end of the service).</summary>
    internal void Clear() => entries.Clear();

    private sealed record Entry(byte[] Key, DateTimeOffset Expires);
}
