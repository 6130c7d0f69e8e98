using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Konzen.Privacy.Storage;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Vault;

/// <summary>
/// Keyed blind indexes for looking subjects up by email or phone without storing either: HMAC-SHA256
/// under a key of its own (<see cref="VaultOptions.BlindIndexKeyFile"/>). The key is not derived from
/// the master key, so rotating the master key leaves every index valid. Without the key, an index
/// cannot be tested against guessed addresses.
/// </summary>
public sealed class BlindIndex
{
    private readonly byte[] key;

    public BlindIndex(IOptions<VaultOptions> options, IOptions<StorageOptions> storage)
    {
        var file = options.Value.BlindIndexKeyFile ?? Path.Combine(storage.Value.DataDirectory, "index.key");
        key = KeyFiles.LoadOrCreate(file, "blind-index key");
    }

    /// <summary>The index of an email address, normalized by trimming and lower-casing (invariant).</summary>
    public byte[] Email(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        return Compute("email\0"u8, email.Trim().ToLowerInvariant());
    }

    /// <summary>The index of a phone number in E.164, exactly as given (validation is the caller's).</summary>
    public byte[] Phone(string phone)
    {
        ArgumentNullException.ThrowIfNull(phone);
        return Compute("phone\0"u8, phone);
    }

    // The label keeps an email and a phone with the same text from sharing an index.
    private byte[] Compute(ReadOnlySpan<byte> label, string value)
    {
        var length = label.Length + Encoding.UTF8.GetByteCount(value);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            label.CopyTo(buffer);
            Encoding.UTF8.GetBytes(value, buffer.AsSpan(label.Length));
            return HMACSHA256.HashData(key, buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }
}
