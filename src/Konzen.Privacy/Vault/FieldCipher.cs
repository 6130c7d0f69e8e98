using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Konzen.Privacy.Vault;

/// <summary>
/// AES-256-GCM for personal fields and wrapped keys. A sealed value is <c>version (1) | nonce (12) |
/// ciphertext | tag (16)</c>. The associated data names what the value belongs to (the subject and
/// field, or the subject whose key it wraps) with a domain label, so a value copied to another row,
/// another field or from a wrapped key into a field fails to open instead of yielding wrong data.
/// </summary>
internal static class FieldCipher
{
    public const int KeySize = 32;

    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int Overhead = 1 + NonceSize + TagSize;
    private const int StackLimit = 512;

    private static ReadOnlySpan<byte> FieldLabel => "konzen/field/v1\0"u8;

    private static ReadOnlySpan<byte> WrapLabel => "konzen/subject-key/v1\0"u8;

    /// <summary>Encrypts one field's value under the subject's data key, bound to (subject, field).</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> dataKey, Guid subjectId, string field, string value)
    {
        Span<byte> aadBuffer = stackalloc byte[StackLimit];
        var aad = FieldAad(aadBuffer, subjectId, field, out var rentedAad);
        var length = Encoding.UTF8.GetByteCount(value);
        byte[]? rented = null;
        var plaintext = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        plaintext = plaintext[..length];
        try
        {
            Encoding.UTF8.GetBytes(value, plaintext);
            return Seal(dataKey, plaintext, aad);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
            Return(rented);
            Return(rentedAad);
        }
    }

    /// <summary>Decrypts one field; throws <see cref="VaultIntegrityException"/> if it does not belong to (subject, field) or was altered.</summary>
    public static string Decrypt(ReadOnlySpan<byte> dataKey, Guid subjectId, string field, ReadOnlySpan<byte> sealedValue)
    {
        Span<byte> aadBuffer = stackalloc byte[StackLimit];
        var aad = FieldAad(aadBuffer, subjectId, field, out var rentedAad);
        var length = Math.Max(0, sealedValue.Length - Overhead);
        byte[]? rented = null;
        var plaintext = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        plaintext = plaintext[..length];
        try
        {
            Open(dataKey, sealedValue, aad, plaintext);
            return Encoding.UTF8.GetString(plaintext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
            Return(rented);
            Return(rentedAad);
        }
    }

    /// <summary>Wraps a subject's data key under a master key, bound to the subject.</summary>
    public static byte[] Wrap(ReadOnlySpan<byte> masterKey, Guid subjectId, ReadOnlySpan<byte> dataKey)
    {
        Span<byte> aad = stackalloc byte[WrapLabel.Length + 16];
        WrapAad(aad, subjectId);
        return Seal(masterKey, dataKey, aad);
    }

    /// <summary>Unwraps a subject's data key; throws <see cref="VaultIntegrityException"/> if it is not this subject's or not under this master key.</summary>
    public static byte[] Unwrap(ReadOnlySpan<byte> masterKey, Guid subjectId, ReadOnlySpan<byte> wrapped)
    {
        Span<byte> aad = stackalloc byte[WrapLabel.Length + 16];
        WrapAad(aad, subjectId);
        if (wrapped.Length != Overhead + KeySize)
        {
            throw new VaultIntegrityException("A wrapped subject key has the wrong length; it was altered.");
        }

        var key = new byte[KeySize];
        Open(masterKey, wrapped, aad, key);
        return key;
    }

    private static byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        var output = new byte[Overhead + plaintext.Length];
        output[0] = Version;
        var nonce = output.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(1 + NonceSize, plaintext.Length), output.AsSpan(output.Length - TagSize), aad);
        return output;
    }

    private static void Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> sealedValue, ReadOnlySpan<byte> aad, Span<byte> plaintext)
    {
        if (sealedValue.Length < Overhead || sealedValue[0] != Version || plaintext.Length != sealedValue.Length - Overhead)
        {
            throw new VaultIntegrityException("A stored ciphertext is malformed; it was altered.");
        }

        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(sealedValue.Slice(1, NonceSize), sealedValue.Slice(1 + NonceSize, plaintext.Length), sealedValue[^TagSize..], plaintext, aad);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new VaultIntegrityException(
                "A stored ciphertext failed its integrity check: it was altered, or moved from another subject or field, or the key is not the one it was sealed with.", e);
        }
    }

    private static Span<byte> FieldAad(Span<byte> buffer, Guid subjectId, string field, out byte[]? rented)
    {
        var length = FieldLabel.Length + 16 + Encoding.UTF8.GetByteCount(field);
        rented = null;
        if (length > buffer.Length)
        {
            rented = ArrayPool<byte>.Shared.Rent(length);
            buffer = rented;
        }

        var aad = buffer[..length];
        FieldLabel.CopyTo(aad);
        subjectId.TryWriteBytes(aad.Slice(FieldLabel.Length, 16), bigEndian: true, out _);
        Encoding.UTF8.GetBytes(field, aad[(FieldLabel.Length + 16)..]);
        return aad;
    }

    private static void WrapAad(Span<byte> aad, Guid subjectId)
    {
        WrapLabel.CopyTo(aad);
        subjectId.TryWriteBytes(aad[WrapLabel.Length..], bigEndian: true, out _);
    }

    private static void Return(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented, clearArray: true);
        }
    }
}
