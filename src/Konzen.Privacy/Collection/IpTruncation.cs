using System.Net;
using System.Net.Sockets;

namespace Konzen.Privacy.Collection;

/// <summary>
/// Cuts an IP address down to its network, so that a stored address names a neighbourhood of
/// hosts, not one: IPv4 to /24, IPv6 to /48. An IPv4 address carried in IPv6 (<c>::ffff:a.b.c.d</c>,
/// what a dual-stack socket reports) is treated as the IPv4 address it is.
/// </summary>
public static class IpTruncation
{
    /// <summary>The truncated network in CIDR form (<c>203.0.113.0/24</c>, <c>2001:db8:85a3::/48</c>), or null for no address.</summary>
    public static string? Truncate(IPAddress? address)
    {
        if (address is null)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            return null;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            bytes[3] = 0;
            return $"{new IPAddress(bytes[..4])}/24";
        }

        bytes[6..written].Clear();
        return $"{new IPAddress(bytes[..16])}/48";
    }
}
