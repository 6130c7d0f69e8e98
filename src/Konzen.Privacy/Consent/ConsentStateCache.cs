using System.Collections.Concurrent;
using Konzen.Privacy.Storage;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Consent;

/// <summary>
/// Each node's memory of subjects' consent states, so that a decision does not read the ledger.
/// A cached state must never outlive a withdrawal, on this node or any other:
/// <list type="bullet">
/// <item>every change evicts the subject here, and on PostgreSQL every node's listener evicts it when
/// the change's notification arrives (<see cref="ConsentChangeListener"/>);</item>
/// <item>a reader that loaded a state from the store may only cache it if no eviction happened since
/// it started reading (<see cref="Generation"/>): otherwise a read that began before a withdrawal
/// committed could put the old state back after the notification had already evicted it;</item>
/// <item>on PostgreSQL nothing is cached while the listener is not connected, because a notification
/// missed then would leave a stale state for ever; reconnecting clears everything.</item>
/// </list>
/// That leaves the notification's delivery time: from the moment a withdrawal commits on node A until
/// node B receives it, B could still answer from its cache, and on a loaded machine that is longer than
/// one HTTP round trip. So where several nodes share the store (<see cref="Revalidate"/>) every cached
/// state carries the number of ledger events it was built from, and is used only after one indexed count
/// says the store still holds that many: the ledger only appends, so any change committed anywhere
/// changes the count, and a decision made after a withdrawal returned on any node denies.
/// </summary>
public sealed class ConsentStateCache
{
    private readonly ConcurrentDictionary<Guid, CachedState> states = new();
    private readonly int capacity;
    private long generation;
    private volatile bool enabled;

    public ConsentStateCache(IOptions<ConsentOptions> consent, IOptions<StorageOptions> storage)
    {
        capacity = consent.Value.CacheEntries;

        // One SQLite file is one node: every change passes through this process and evicts locally.
        enabled = DatabaseConnection.ProviderOf(storage.Value.DatabaseConnectionString) == DatabaseProvider.Sqlite;
        Revalidate = !enabled;
    }

    /// <summary>Whether a cached state must be checked against the store's event count before use (several nodes).</summary>
    internal bool Revalidate { get; }

    /// <summary>
    /// This node's id in change notifications: a node has evicted locally by the time its own
    /// notification comes back, so evicting again would only throw away the state read since.
    /// </summary>
    internal Guid NodeId { get; } = Guid.NewGuid();

    /// <summary>Raised after a subject was evicted, with its id (tests await it; nothing else needs it).</summary>
    internal event Action<Guid>? Evicted;

    /// <summary>Raised when caching turns on (the listener connected) or off (it lost its connection).</summary>
    internal event Action<bool>? EnabledChanged;

    /// <summary>Whether states are cached at all right now.</summary>
    internal bool Enabled => enabled;

    /// <summary>Read before loading a state from the store; hand it to <see cref="Store"/>.</summary>
    internal long Generation => Interlocked.Read(ref generation);

    internal bool TryGet(Guid subjectId, out CachedState state)
    {
        if (enabled)
        {
            return states.TryGetValue(subjectId, out state);
        }

        state = default;
        return false;
    }

    /// <summary>Caches a state loaded from the store, unless anything was evicted since <paramref name="loadedAt"/>.</summary>
    internal void Store(Guid subjectId, CachedState state, long loadedAt)
    {
        if (!enabled || capacity == 0 || Generation != loadedAt)
        {
            return;
        }

        if (states.Count >= capacity)
        {
            // Crude but bounded: starting over costs one read per active subject, nothing more.
            states.Clear();
        }

        states[subjectId] = state;

        // An eviction between the check above and the write would otherwise be undone by the write.
        if (Generation != loadedAt)
        {
            states.TryRemove(subjectId, out _);
        }
    }

    internal void Evict(Guid subjectId)
    {
        Interlocked.Increment(ref generation);
        states.TryRemove(subjectId, out _);
        Evicted?.Invoke(subjectId);
    }

    /// <summary>The listener is connected: start caching afresh, since notifications may have been missed.</summary>
    internal void Connected()
    {
        Interlocked.Increment(ref generation);
        states.Clear();
        enabled = true;
        EnabledChanged?.Invoke(true);
    }

    /// <summary>The listener lost its connection: stop caching until it is back.</summary>
    internal void Disconnected()
    {
        enabled = false;
        Interlocked.Increment(ref generation);
        states.Clear();
        EnabledChanged?.Invoke(false);
    }
}

/// <summary>A subject's state, the number of ledger events it was built from and the policy version it was folded under.</summary>
internal readonly record struct CachedState(SubjectState State, int Events, string PolicyHash);
