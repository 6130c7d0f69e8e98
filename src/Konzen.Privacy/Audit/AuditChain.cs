using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Konzen.Privacy.Audit;

/// <summary>
/// The canonical form of an audit entry and its hash, stated exactly so that anyone holding the
/// entries (an export, a backup, a regulator) can recompute the chain without this code.
/// </summary>
/// <remarks>
/// <para>
/// <c>Hash = SHA-256(canonical form)</c>, and the canonical form starts with the previous entry's
/// hash, so each hash covers the whole chain before it. The canonical form is, in this order:
/// </para>
/// <list type="number">
/// <item>the 8 ASCII bytes <c>KZAUDIT1</c> (format and version);</item>
/// <item><c>PreviousHash</c>: its length as a 32-bit big-endian integer, then its bytes (32 zero bytes for entry 1);</item>
/// <item><c>Sequence</c>: 64-bit big-endian;</item>
/// <item><c>At</c>: whole microseconds since 1970-01-01T00:00:00Z, 64-bit big-endian (the offset is not
/// part of it: PostgreSQL keeps the instant, not the offset);</item>
/// <item><c>Actor</c>, <c>Action</c>: text;</item>
/// <item><c>SubjectId</c>: the byte 0 when absent, else the byte 1 and the 16 bytes of the UUID in
/// big-endian (RFC 9562) order;</item>
/// <item><c>Field</c>, <c>Purpose</c>, <c>Detail</c>: text.</item>
/// </list>
/// <para>
/// Text is the byte 0 when absent (null), else the byte 1, the UTF-8 length as a 32-bit big-endian
/// integer and the UTF-8 bytes. Every variable part carries its length and every optional part its
/// presence, so no two different entries share a canonical form: moving characters from one field
/// to the next, or turning an empty field into an absent one, changes the hash. Text that is not
/// valid Unicode (a lone surrogate) is refused rather than replaced, because replacement would let
/// two different strings encode alike.
/// </para>
/// </remarks>
public static class AuditChain
{
    /// <summary>Size in bytes of <see cref="AuditEntry.Hash"/> and <see cref="AuditEntry.PreviousHash"/>.</summary>
    public const int HashSize = 32;

    // Entries are small (short keys and a short detail); larger ones take a pooled buffer.
    private const int StackLimit = 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static ReadOnlySpan<byte> Magic => "KZAUDIT1"u8;

    /// <summary>The bytes that <see cref="AuditEntry.Hash"/> is the SHA-256 of.</summary>
    /// <exception cref="ArgumentException">A text field is not valid Unicode.</exception>
    public static byte[] CanonicalForm(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var canonical = new byte[CanonicalLength(entry)];
        Write(entry, canonical);
        return canonical;
    }

    /// <summary>The hash <paramref name="entry"/> should carry, given its fields and its previous hash.</summary>
    /// <exception cref="ArgumentException">A text field is not valid Unicode.</exception>
    public static byte[] HashOf(AuditEntry entry)
    {
        var hash = new byte[HashSize];
        ComputeHash(entry, hash);
        return hash;
    }

    /// <summary>Writes the hash of <paramref name="entry"/> to <paramref name="destination"/> without allocating.</summary>
    /// <exception cref="ArgumentException">A text field is not valid Unicode, or the destination is too small.</exception>
    public static void ComputeHash(AuditEntry entry, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var length = CanonicalLength(entry);
        byte[]? rented = null;
        Span<byte> buffer = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Write(entry, buffer);
            SHA256.HashData(buffer[..written], destination);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Whole microseconds since the Unix epoch: the precision of PostgreSQL's timestamptz.</summary>
    internal static long UnixMicroseconds(DateTimeOffset at) =>
        (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    private static int CanonicalLength(AuditEntry entry) =>
        Magic.Length
        + sizeof(int) + (entry.PreviousHash?.Length ?? 0)
        + sizeof(long) + sizeof(long)
        + TextLength(entry.Actor) + TextLength(entry.Action)
        + 1 + (entry.SubjectId is null ? 0 : 16)
        + TextLength(entry.Field) + TextLength(entry.Purpose) + TextLength(entry.Detail);

    private static int TextLength(string? text) => text is null ? 1 : 1 + sizeof(int) + StrictUtf8.GetByteCount(text);

    private static int Write(AuditEntry entry, Span<byte> buffer)
    {
        var at = 0;
        Magic.CopyTo(buffer);
        at += Magic.Length;

        var previous = entry.PreviousHash ?? [];
        BinaryPrimitives.WriteInt32BigEndian(buffer[at..], previous.Length);
        at += sizeof(int);
        previous.CopyTo(buffer[at..]);
        at += previous.Length;

        BinaryPrimitives.WriteInt64BigEndian(buffer[at..], entry.Sequence);
        at += sizeof(long);
        BinaryPrimitives.WriteInt64BigEndian(buffer[at..], UnixMicroseconds(entry.At));
        at += sizeof(long);

        at += WriteText(entry.Actor, buffer[at..]);
        at += WriteText(entry.Action, buffer[at..]);

        if (entry.SubjectId is { } subject)
        {
            buffer[at++] = 1;
            subject.TryWriteBytes(buffer[at..], bigEndian: true, out var written);
            at += written;
        }
        else
        {
            buffer[at++] = 0;
        }

        at += WriteText(entry.Field, buffer[at..]);
        at += WriteText(entry.Purpose, buffer[at..]);
        at += WriteText(entry.Detail, buffer[at..]);
        return at;
    }

    private static int WriteText(string? text, Span<byte> buffer)
    {
        if (text is null)
        {
            buffer[0] = 0;
            return 1;
        }

        buffer[0] = 1;
        var length = StrictUtf8.GetBytes(text, buffer[(1 + sizeof(int))..]);
        BinaryPrimitives.WriteInt32BigEndian(buffer[1..], length);
        return 1 + sizeof(int) + length;
    }
}
