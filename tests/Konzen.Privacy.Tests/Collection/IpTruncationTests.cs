using System.Net;
using Konzen.Privacy.Collection;

namespace Konzen.Privacy.Tests.Collection;

public sealed class IpTruncationTests
{
    [Theory]
    [InlineData("203.0.113.77", "203.0.113.0/24")]
    [InlineData("10.1.2.255", "10.1.2.0/24")]
    [InlineData("::ffff:198.51.100.23", "198.51.100.0/24")]
    [InlineData("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::/48")]
    [InlineData("2001:db8:1::1", "2001:db8:1::/48")]
    [InlineData("::1", "::/48")]
    [Trait("Clause", "S1.5")]
    public void Truncate_Address_KeepsOnlyItsNetwork(string address, string expected) =>
        Assert.Equal(expected, IpTruncation.Truncate(IPAddress.Parse(address)));

    [Fact]
    public void Truncate_NoAddress_IsNull() => Assert.Null(IpTruncation.Truncate(null));
}
