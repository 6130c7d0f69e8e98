using System.Security.Cryptography;
using System.Text;
using Konzen.Privacy.Storage;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Consent;

/// <summary>Where a consent decision came from. Hashed before it is stored; never kept as given.</summary>
/// <param name="IpAddress">The client's IP address, if known.</param>
/// <param name="UserAgent">The client's user agent, if known.</param>
public sealed record ConsentEvidence(string? IpAddress, string? UserAgent)
{
    public static ConsentEvidence None { get; } = new(null, null);
}

/// <summary>
/// Keyed hash of consent evidence. A plain SHA-256 of an IPv4 address can be reversed by trying all
/// four billion of them; with a secret key it cannot, yet the same connection still hashes the same,
/// so a disputed consent can be matched against what the subject's device reports.
/// </summary>
public sealed class EvidenceHasher
{
    private readonly byte[] key;

    public EvidenceHasher(IOptions<ConsentOptions> consent, IOptions<StorageOptions> storage)
        : this(consent.Value.EvidenceKeyFile ?? Path.Combine(storage.Value.DataDirectory, "consent-evidence.key"))
    {
    }

    internal EvidenceHasher(string keyFile)
    {
        key = KeyFile.ReadOrCreate(keyFile, () => RandomNumberGenerator.GetBytes(32));
        if (key.Length != 32)
        {
            throw new InvalidOperationException("The consent evidence key file does not hold a 256-bit key.");
        }
    }

    /// <summary>HMAC-SHA256 over the address and user agent, or null when neither is known.</summary>
    public byte[]? Hash(ConsentEvidence? evidence)
    {
        if (evidence is null || (evidence.IpAddress is null && evidence.UserAgent is null))
        {
            return null;
        }

        // A NUL separates the two, so that no address and agent pair can collide with another split.
        var text = $"{evidence.IpAddress}\0{evidence.UserAgent}";
        return HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text));
    }
}
