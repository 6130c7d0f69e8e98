using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Sharing;

/// <summary>
/// A recipient's pseudonymization key, in the key store, wrapped by the master key. It keys the HMAC
/// that turns subject ids into the pseudonyms of that recipient's files; it never leaves the key store
/// unwrapped, so no recipient can recompute a pseudonym, and two recipients' keys are independent.
/// </summary>
public sealed class RecipientKey
{
    public string RecipientId { get; set; } = string.Empty;

    public byte[] WrappedKey { get; set; } = [];

    public string MasterKeyId { get; set; } = string.Empty;

    public DateTimeOffset CreatedAt { get; set; }

    internal static void Configure(ModelBuilder modelBuilder)
    {
        var key = modelBuilder.Entity<RecipientKey>();
        key.ToTable("recipient_keys");
        key.HasKey(k => k.RecipientId);
        key.Property(k => k.RecipientId).HasMaxLength(RecipientPseudonyms.MaxRecipientIdLength);
        key.Property(k => k.MasterKeyId).HasMaxLength(64);
    }

    /// <summary>
    /// The id the master key binds a recipient's key to when wrapping it, derived from a label no
    /// subject id can equal in practice: a wrapped recipient key moved among the subject keys opens nothing.
    /// </summary>
    internal static Guid WrapId(string recipientId)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"konzen/recipient-key/v1/{recipientId}"), hash);
        return new Guid(hash[..16]);
    }
}

/// <summary>
/// Per-recipient pseudonyms (S5.2): HMAC-SHA256 of the subject id under the recipient's own random key,
/// truncated to 128 bits, as 32 lower-case hex digits. The same subject has the same pseudonym in every
/// file one recipient gets (so an advertiser can count a person's events) and unrelated pseudonyms at
/// two recipients (so they cannot join their files on ids). The key is created on first use by
/// whichever node needs it first (the primary key makes a second creator use the first one's key) and
/// cached unwrapped in memory.
/// </summary>
public sealed class RecipientPseudonyms(IServiceScopeFactory scopes, MasterKeyRing master, TimeProvider time) : IDisposable
{
    /// <summary>The longest recipient id, as the recipients table allows.</summary>
    public const int MaxRecipientIdLength = 64;

    private readonly ConcurrentDictionary<string, byte[]> keys = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim creating = new(1, 1);

    /// <summary>The subject's pseudonym in the files of <paramref name="recipientId"/>.</summary>
    public async ValueTask<string> PseudonymAsync(string recipientId, Guid subjectId, CancellationToken ct = default) =>
        Pseudonym(await KeyAsync(recipientId, ct), subjectId);

    /// <summary>HMAC-SHA256(key, label | subject id), first 16 bytes, lower-case hex.</summary>
    internal static string Pseudonym(ReadOnlySpan<byte> key, Guid subjectId)
    {
        Span<byte> input = stackalloc byte[Label.Length + 16];
        Label.CopyTo(input);
        subjectId.TryWriteBytes(input[Label.Length..], bigEndian: true, out _);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, input, mac);
        return Convert.ToHexStringLower(mac[..16]);
    }

    /// <summary>The recipient's key, created and stored wrapped on first use.</summary>
    internal async ValueTask<byte[]> KeyAsync(string recipientId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(recipientId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(recipientId.Length, MaxRecipientIdLength, nameof(recipientId));
        if (keys.TryGetValue(recipientId, out var cached))
        {
            return cached;
        }

        await creating.WaitAsync(cancellationToken);
        try
        {
            if (keys.TryGetValue(recipientId, out cached))
            {
                return cached;
            }

            var key = await LoadOrCreateAsync(recipientId, cancellationToken);
            keys[recipientId] = key;
            return key;
        }
        finally
        {
            creating.Release();
        }
    }

    public void Dispose() => creating.Dispose();

    private static ReadOnlySpan<byte> Label => "konzen/recipient-pseudonym/v1\0"u8;

    private async Task<byte[]> LoadOrCreateAsync(string recipientId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>();
        if (await FindAsync(store, recipientId, cancellationToken) is { } existing)
        {
            return existing;
        }

        var key = RandomNumberGenerator.GetBytes(FieldCipher.KeySize);
        store.Add(new RecipientKey
        {
            RecipientId = recipientId,
            WrappedKey = master.Wrap(RecipientKey.WrapId(recipientId), key, out var masterKeyId),
            MasterKeyId = masterKeyId,
            CreatedAt = time.GetUtcNow(),
        });
        try
        {
            await store.SaveChangesAsync(cancellationToken);
            return key;
        }
        catch (DbUpdateException)
        {
            // Another node created this recipient's key first: use that one, or one subject would have
            // two pseudonyms at the same recipient.
            store.ChangeTracker.Clear();
            return await FindAsync(store, recipientId, cancellationToken)
                ?? throw new InvalidOperationException("A recipient key could neither be created nor read.");
        }
    }

    private async Task<byte[]?> FindAsync(KeyStoreDbContext store, string recipientId, CancellationToken cancellationToken)
    {
        var row = await store.Set<RecipientKey>().AsNoTracking().FirstOrDefaultAsync(k => k.RecipientId == recipientId, cancellationToken);
        return row is null ? null : master.Unwrap(RecipientKey.WrapId(recipientId), row.WrappedKey, row.MasterKeyId);
    }
}
