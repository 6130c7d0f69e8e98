using System.Globalization;
using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Tests.Policy;

/// <summary>Retention periods are ISO 8601 date durations, counted in calendar months where months are given (S2.2).</summary>
public sealed class RetentionPeriodTests
{
    [Theory]
    [Trait("Clause", "S2.2")]
    [InlineData("P90D", 0, 0, 90)]
    [InlineData("P6M", 0, 6, 0)]
    [InlineData("P1Y", 1, 0, 0)]
    [InlineData("P2W", 0, 0, 14)]
    [InlineData("P1Y6M", 1, 6, 0)]
    [InlineData("P1Y2M3D", 1, 2, 3)]
    public void TryParse_DateDuration_Parses(string text, int years, int months, int days)
    {
        Assert.True(RetentionPeriod.TryParse(text, out var retention));
        Assert.Equal(new RetentionPeriod(years, months, days, UntilAccountCancellation: false), retention);
    }

    [Fact]
    [Trait("Clause", "S2.2")]
    public void TryParse_UntilAccountCancellation_ParsesWithoutExpiry()
    {
        Assert.True(RetentionPeriod.TryParse("until-account-cancellation", out var retention));
        Assert.True(retention.UntilAccountCancellation);
        Assert.Null(retention.ExpiresAt(DateTimeOffset.UnixEpoch));
    }

    [Theory]
    [Trait("Clause", "S2.2")]
    [InlineData("")]
    [InlineData("P")]
    [InlineData("P6X")]
    [InlineData("PT5H")]
    [InlineData("P1DT5H")]
    [InlineData("6M")]
    [InlineData("-P1D")]
    [InlineData("P0D")]
    [InlineData("P0Y0M")]
    [InlineData("P1M1Y")]
    [InlineData("P6M6M")]
    [InlineData("p6m")]
    [InlineData("P 6M")]
    [InlineData("P6M ")]
    [InlineData("P99999D")]
    [InlineData("P١D")]
    [InlineData("until account cancellation")]
    public void TryParse_NotADateDuration_Fails(string text)
    {
        Assert.False(RetentionPeriod.TryParse(text, out _));
    }

    [Theory]
    [Trait("Clause", "S2.2")]
    [InlineData("2026-08-31T10:00:00+08:00", "P6M", "2027-02-28T10:00:00+08:00")]
    [InlineData("2026-01-31T00:00:00+08:00", "P1M", "2026-02-28T00:00:00+08:00")]
    [InlineData("2024-02-29T00:00:00+08:00", "P1Y", "2025-02-28T00:00:00+08:00")]
    [InlineData("2024-02-29T00:00:00+08:00", "P1Y6M", "2025-08-29T00:00:00+08:00")]
    [InlineData("2026-12-01T23:59:59+08:00", "P90D", "2027-03-01T23:59:59+08:00")]
    [InlineData("2026-12-25T12:00:00+00:00", "P2W", "2027-01-08T12:00:00+00:00")]
    [InlineData("2026-01-31T00:00:00+08:00", "P1M1D", "2026-03-01T00:00:00+08:00")]
    public void ExpiresAt_DateDuration_AddsCalendarMonthsThenDays(string collected, string duration, string expected)
    {
        Assert.True(RetentionPeriod.TryParse(duration, out var retention));

        var expiry = retention.ExpiresAt(DateTimeOffset.Parse(collected, CultureInfo.InvariantCulture));

        Assert.Equal(DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture), expiry);
        Assert.Equal(TimeSpan.FromHours(expected.EndsWith("+08:00", StringComparison.Ordinal) ? 8 : 0), expiry!.Value.Offset);
    }
}
