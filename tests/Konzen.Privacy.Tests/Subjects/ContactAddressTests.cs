using Konzen.Privacy.Subjects;

namespace Konzen.Privacy.Tests.Subjects;

public sealed class ContactAddressTests
{
    [Theory]
    [InlineData("13812345678", "+8613812345678")]
    [InlineData("138 1234 5678", "+8613812345678")]
    [InlineData("+86 138-1234-5678", "+8613812345678")]
    [InlineData("+44 20 7946 0958", "+442079460958")]
    [Trait("Clause", "S1.2")]
    public void TryNormalizePhone_ValidNumber_GivesE164(string input, string expected)
    {
        Assert.True(ContactAddress.TryNormalizePhone(input, out var e164));
        Assert.Equal(expected, e164);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("12345")]
    [InlineData("not a number")]
    [InlineData("+86 138 1234 5678 9999 9999 9999 9999 9999")]
    [InlineData("1381234567")]
    [Trait("Clause", "S1.2")]
    public void TryNormalizePhone_InvalidNumber_Refuses(string input)
    {
        Assert.False(ContactAddress.TryNormalizePhone(input, out var e164));
        Assert.Empty(e164);
    }

    [Theory]
    [InlineData("Li.Wei@Example.CN", "li.wei@example.cn")]
    [InlineData("  wang@mail.example.com ", "wang@mail.example.com")]
    [InlineData("a+tag@example.org", "a+tag@example.org")]
    [Trait("Clause", "S1.2")]
    public void TryNormalizeEmail_ValidAddress_TrimsAndLowerCases(string input, string expected)
    {
        Assert.True(ContactAddress.TryNormalizeEmail(input, out var email));
        Assert.Equal(expected, email);
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain")]
    [InlineData("@example.com")]
    [InlineData("a@b")]
    [InlineData("Li Wei <li@example.com>")]
    [InlineData("li@example.com, wang@example.com")]
    [InlineData("li wei@example.com")]
    [Trait("Clause", "S1.2")]
    public void TryNormalizeEmail_InvalidAddress_Refuses(string input)
    {
        Assert.False(ContactAddress.TryNormalizeEmail(input, out var email));
        Assert.Empty(email);
    }

    [Fact]
    [Trait("Clause", "S1.2")]
    public void TryNormalizeEmail_TooLong_Refuses() =>
        Assert.False(ContactAddress.TryNormalizeEmail(new string('a', 250) + "@example.com", out _));
}
