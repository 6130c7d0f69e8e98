using System.Security.Cryptography;
using System.Text;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Collection;

/// <summary>
/// The key of one pseudonymization period, in the key store, wrapped by the master key. It keys the
/// HMAC that turns actor ids into pseudonyms and seals the events of visitors and anonymous callers.
/// Destroying it (<see cref="EventRetention"/>) leaves that period's pseudonyms unlinkable to anyone
/// and its visitors' events unreadable.
/// </summary>
public sealed class EventEpochKey
{
    public int Epoch { get; set; }

    public DateTimeOffset StartsAt { get; set; }

    public DateTimeOffset EndsAt { get; set; }

    public byte[] WrappedKey { get; set; } = [];

    public string MasterKeyId { get; set; } = string.Empty;

    internal static void Configure(ModelBuilder modelBuilder)
    {
        var key = modelBuilder.Entity<EventEpochKey>();
        key.ToTable("event_epoch_keys");
        key.HasKey(k => k.Epoch);
        key.Property(k => k.Epoch).ValueGeneratedNever();
        key.Property(k => k.MasterKeyId).HasMaxLength(64);
    }

    /// <summary>
    /// The id the master key binds a period's key to when wrapping it. Derived from a label no subject
    /// id can equal in practice, so a wrapped period key moved into the subject keys opens nothing.
    /// </summary>
    internal static Guid WrapId(int epoch)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.ASCII.GetBytes($"konzen/event-epoch-key/v1/{epoch}"), hash);
        return new Guid(hash[..16]);
    }
}

/// <summary>A period's number and key; the key is shared, never change it.</summary>
internal sealed record EpochKey(int Epoch, DateTimeOffset StartsAt, DateTimeOffset EndsAt, byte[] Key);

/// <summary>
/// The pseudonymization periods: period n covers <c>[n·rotation, (n+1)·rotation)</c> since the Unix
/// epoch. Its key is created on first need by whichever node needs it first (the primary key on the
/// period makes a second creator use the first one's key) and cached in memory.
/// </summary>
public sealed class EpochKeys(IServiceScopeFactory scopes, MasterKeyRing master, IOptions<EventOptions> options, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim creating = new(1, 1);
    private volatile EpochKey? current;

    /// <summary>The period <paramref name="at"/> falls in.</summary>
    public int EpochOf(DateTimeOffset at) =>
        checked((int)((at - DateTimeOffset.UnixEpoch).Ticks / options.Value.PseudonymRotation.Ticks));

    /// <summary>Forgets cached keys, after periods were destroyed.</summary>
    internal void Evict() => current = null;

    /// <summary>The key of the current period, created when this is the first use of it.</summary>
    internal async ValueTask<EpochKey> CurrentAsync(CancellationToken cancellationToken)
    {
        var epoch = EpochOf(time.GetUtcNow());
        var cached = current;
        if (cached?.Epoch == epoch)
        {
            return cached;
        }

        await creating.WaitAsync(cancellationToken);
        try
        {
            cached = current;
            if (cached?.Epoch == epoch)
            {
                return cached;
            }

            var key = await LoadOrCreateAsync(epoch, cancellationToken);
            current = key;
            return key;
        }
        finally
        {
            creating.Release();
        }
    }

    public void Dispose() => creating.Dispose();

    /// <summary>A period's key from the store, or null when it was never made or was destroyed.</summary>
    internal async Task<EpochKey?> FindAsync(int epoch, CancellationToken cancellationToken)
    {
        if (current is { } cached && cached.Epoch == epoch)
        {
            return cached;
        }

        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>();
        var row = await store.Set<EventEpochKey>().AsNoTracking().FirstOrDefaultAsync(k => k.Epoch == epoch, cancellationToken);
        return row is null ? null : Open(row);
    }

    private async Task<EpochKey> LoadOrCreateAsync(int epoch, CancellationToken cancellationToken)
    {
        if (await FindAsync(epoch, cancellationToken) is { } existing)
        {
            return existing;
        }

        var rotation = options.Value.PseudonymRotation;
        var startsAt = DateTimeOffset.UnixEpoch + (rotation * epoch);
        var key = RandomNumberGenerator.GetBytes(FieldCipher.KeySize);
        var row = new EventEpochKey
        {
            Epoch = epoch,
            StartsAt = startsAt,
            EndsAt = startsAt + rotation,
            WrappedKey = master.Wrap(EventEpochKey.WrapId(epoch), key, out var masterKeyId),
            MasterKeyId = masterKeyId,
        };
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>();
        store.Add(row);
        try
        {
            await store.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another node made this period's key first: everyone must use that one, or one actor
            // would get two pseudonyms in one period.
            return await FindAsync(epoch, cancellationToken) ?? throw new InvalidOperationException("A pseudonymization key could neither be created nor read.");
        }

        return new EpochKey(epoch, row.StartsAt, row.EndsAt, key);
    }

    private EpochKey Open(EventEpochKey row) =>
        new(row.Epoch, row.StartsAt, row.EndsAt, master.Unwrap(EventEpochKey.WrapId(row.Epoch), row.WrappedKey, row.MasterKeyId));
}
