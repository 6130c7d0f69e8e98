using System.ComponentModel.DataAnnotations;

namespace Konzen.Privacy.Consent;

/// <summary>The consent ledger's keys and cache. Bound from <c>Consent</c>.</summary>
public sealed class ConsentOptions
{
    public const string Section = "Consent";

    /// <summary>
    /// The ECDSA P-256 key (PKCS#8 PEM) that signs consent receipts; created with mode 0600 on first
    /// start. Defaults to null: <c>receipt-signing.key</c> in <c>Storage:DataDirectory</c>. Nodes
    /// that share a database should share this file, so that one JWKS verifies every receipt.
    /// </summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>
    /// The 256-bit key for the HMAC of consent evidence (IP address and user agent); created with
    /// mode 0600 on first start. Defaults to null: <c>consent-evidence.key</c> in <c>Storage:DataDirectory</c>.
    /// </summary>
    public string? EvidenceKeyFile { get; set; }

    /// <summary>How many subjects' consent states a node keeps in memory. Defaults to 100,000.</summary>
    [Range(0, 100_000_000)]
    public int CacheEntries { get; set; } = 100_000;

    /// <summary>
    /// How long to wait before reconnecting the PostgreSQL listener after it lost its connection.
    /// Defaults to 2 seconds. While it is disconnected the node does not cache consent states at all.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(2);
}
