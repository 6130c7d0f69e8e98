using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Konzen.Privacy.Collection;

/// <summary>
/// Seals a log event's content with AES-256-GCM: <c>version (1) | nonce (12) | ciphertext | tag (16)</c>,
/// the vault's layout. The associated data binds the ciphertext to the key's owner (the subject, or
/// the period for visitors and anonymous callers) and to its row's pseudonym (the HMAC), purpose, category, type
/// and time, so a payload copied to another row or altered fails to open. One instance holds one key
/// schedule for a whole batch, instead of one per event.
/// </summary>
internal sealed class EventSeal : IDisposable
{
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int Overhead = 1 + NonceSize + TagSize;

    private const int NoncesPerFill = 256;

    private readonly AesGcm aes;
    private readonly byte[] owner;

    // Random nonces drawn 256 at a time: one call to the random generator per 256 events instead of one each.
    private readonly byte[] nonces = new byte[NonceSize * NoncesPerFill];
    private int noncesUsed = NoncesPerFill;

    private EventSeal(ReadOnlySpan<byte> key, byte[] owner)
    {
        aes = new AesGcm(key, TagSize);
        this.owner = owner;
    }

    /// <summary>Sealing under a subject's data key, bound to the subject.</summary>
    public static EventSeal ForSubject(ReadOnlySpan<byte> dataKey, Guid subjectId)
    {
        var owner = new byte[17];
        owner[0] = (byte)'s';
        subjectId.TryWriteBytes(owner.AsSpan(1), bigEndian: true, out _);
        return new EventSeal(dataKey, owner);
    }

    /// <summary>Sealing under a period's event key, bound to the period.</summary>
    public static EventSeal ForEpoch(ReadOnlySpan<byte> epochKey, int epoch)
    {
        var owner = new byte[5];
        owner[0] = (byte)'e';
        BinaryPrimitives.WriteInt32BigEndian(owner.AsSpan(1), epoch);
        return new EventSeal(epochKey, owner);
    }

    public byte[] Seal(ReadOnlySpan<byte> plaintext, in EventAad aad)
    {
        Span<byte> buffer = stackalloc byte[256];
        var data = aad.Write(buffer, owner);
        var output = new byte[Overhead + plaintext.Length];
        output[0] = Version;
        var nonce = output.AsSpan(1, NonceSize);
        if (noncesUsed == NoncesPerFill)
        {
            RandomNumberGenerator.Fill(nonces);
            noncesUsed = 0;
        }

        nonces.AsSpan(noncesUsed++ * NonceSize, NonceSize).CopyTo(nonce);
        aes.Encrypt(nonce, plaintext, output.AsSpan(1 + NonceSize, plaintext.Length), output.AsSpan(output.Length - TagSize), data);
        return output;
    }

    /// <summary>Opens a payload; throws <see cref="CryptographicException"/> if it is not this row's or was altered.</summary>
    public byte[] Open(ReadOnlySpan<byte> sealedValue, in EventAad aad)
    {
        if (sealedValue.Length < Overhead || sealedValue[0] != Version)
        {
            throw new CryptographicException("A sealed event is malformed.");
        }

        Span<byte> buffer = stackalloc byte[256];
        var data = aad.Write(buffer, owner);
        var plaintext = new byte[sealedValue.Length - Overhead];
        aes.Decrypt(sealedValue.Slice(1, NonceSize), sealedValue.Slice(1 + NonceSize, plaintext.Length), sealedValue[^TagSize..], plaintext, data);
        return plaintext;
    }

    /// <summary>The plaintext length of a sealed payload of <paramref name="sealedLength"/> bytes.</summary>
    public static int PlaintextLength(int sealedLength) => sealedLength - Overhead;

    /// <summary>
    /// Opens a payload into <paramref name="plaintext"/> (at least <see cref="PlaintextLength"/> long) and
    /// returns the length written, so a caller opening a million payloads can reuse one pooled buffer.
    /// </summary>
    public int Open(ReadOnlySpan<byte> sealedValue, Span<byte> plaintext, in EventAad aad)
    {
        if (sealedValue.Length < Overhead || sealedValue[0] != Version)
        {
            throw new CryptographicException("A sealed event is malformed.");
        }

        Span<byte> buffer = stackalloc byte[256];
        var data = aad.Write(buffer, owner);
        var length = sealedValue.Length - Overhead;
        aes.Decrypt(sealedValue.Slice(1, NonceSize), sealedValue.Slice(1 + NonceSize, length), sealedValue[^TagSize..], plaintext[..length], data);
        return length;
    }

    public void Dispose() => aes.Dispose();
}

/// <summary>What a sealed event's payload is bound to besides its key's owner.</summary>
internal readonly record struct EventAad(byte[] Pseudonym, string Purpose, string Category, string Type, long AtUnixSeconds)
{
    public Span<byte> Write(Span<byte> buffer, ReadOnlySpan<byte> owner)
    {
        var length = 0;
        Append(buffer, ref length, EventSealLabel);
        Append(buffer, ref length, owner);
        Append(buffer, ref length, Pseudonym);
        BinaryPrimitives.WriteInt64BigEndian(buffer[length..], AtUnixSeconds);
        length += 8;
        foreach (var text in (ReadOnlySpan<string>)[Purpose, Category, Type])
        {
            // Keys are short ASCII from the policy and the event vocabulary; a NUL ends each.
            length += Encoding.ASCII.GetBytes(text, buffer[length..]);
            buffer[length++] = 0;
        }

        return buffer[..length];
    }

    private static ReadOnlySpan<byte> EventSealLabel => "konzen/log-event/v1\0"u8;

    private static void Append(Span<byte> buffer, ref int length, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(buffer[length..]);
        length += bytes.Length;
    }
}
