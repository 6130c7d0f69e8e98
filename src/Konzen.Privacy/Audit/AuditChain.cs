using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Konzen.Privacy.Audit;

/// <summary>The canonical form of an entry and its hash: anyone with the entries can recompute the chain.</summary>
public static class AuditChain
{
    public static byte[] HashOf(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var canonical = string.Join('\n',
            entry.Sequence.ToString(CultureInfo.InvariantCulture),
            entry.At.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
            entry.Actor,
            entry.Action,
            entry.SubjectId?.ToString("D") ?? string.Empty,
            entry.Field ?? string.Empty,
            entry.Purpose ?? string.Empty,
            entry.Detail ?? string.Empty);
        var bytes = Encoding.UTF8.GetBytes(canonical);
        return SHA256.HashData([.. entry.PreviousHash, .. bytes]);
    }
}
