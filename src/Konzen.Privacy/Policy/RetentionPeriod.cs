using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Konzen.Privacy.Policy;

/// <summary>
/// How long a category is kept: an ISO 8601 duration, or until the account is cancelled.
/// Calendar parts (years, months) are kept apart from days so that "P6M" means six calendar
/// months from any date, not 180 days.
/// </summary>
[JsonConverter(typeof(RetentionPeriodJsonConverter))]
public sealed record RetentionPeriod(int Years, int Months, int Days, bool UntilAccountCancellation)
{
    public const string UntilAccountCancellationToken = "until-account-cancellation";

    public static RetentionPeriod UntilCancellation { get; } = new(0, 0, 0, UntilAccountCancellation: true);

    /// <summary>Parses <c>until-account-cancellation</c> or a date duration such as <c>P6M</c>, <c>P1Y6M</c>, <c>P2W</c>, <c>P90D</c>.</summary>
    public static bool TryParse(string text, out RetentionPeriod retention)
    {
        retention = UntilCancellation;
        if (text == UntilAccountCancellationToken)
        {
            return true;
        }

        if (text.Length < 3 || text[0] != 'P')
        {
            return false;
        }

        int years = 0, months = 0, days = 0;
        var lastUnit = -1;
        var i = 1;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start || i == text.Length || i - start > 4)
            {
                return false;
            }

            var value = int.Parse(text.AsSpan(start, i - start), CultureInfo.InvariantCulture);
            var unit = "YMWD".IndexOf(text[i], StringComparison.Ordinal);
            if (unit <= lastUnit)
            {
                return false;
            }

            lastUnit = unit;
            switch (unit)
            {
                case 0: years = value; break;
                case 1: months = value; break;
                case 2: days += value * 7; break;
                default: days += value; break;
            }

            i++;
        }

        if (years == 0 && months == 0 && days == 0)
        {
            return false;
        }

        retention = new RetentionPeriod(years, months, days, UntilAccountCancellation: false);
        return true;
    }

    /// <summary>The moment data collected at <paramref name="collected"/> expires, or null when it lasts until cancellation.</summary>
    /// <remarks>
    /// Years and months are added as one number of months, then days (the ISO 8601 / XML Schema order).
    /// Adding years and months one after the other would clamp twice: 2024-02-29 + P1Y6M would end on
    /// 2025-08-28, a day short of the eighteen months the policy promises.
    /// </remarks>
    public DateTimeOffset? ExpiresAt(DateTimeOffset collected) =>
        UntilAccountCancellation ? null : collected.AddMonths((Years * 12) + Months).AddDays(Days);

    /// <summary>An upper bound in days, to compare retentions ("is the new one longer?").</summary>
    public int ApproximateDays => UntilAccountCancellation ? int.MaxValue : (Years * 366) + (Months * 31) + Days;

    public override string ToString()
    {
        if (UntilAccountCancellation)
        {
            return UntilAccountCancellationToken;
        }

        var text = new StringBuilder("P");
        if (Years > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Years}Y");
        }

        if (Months > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Months}M");
        }

        if (Days > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Days}D");
        }

        return text.ToString();
    }
}

/// <summary>Writes a retention as its policy-file form (<c>P6M</c>, <c>until-account-cancellation</c>).</summary>
internal sealed class RetentionPeriodJsonConverter : JsonConverter<RetentionPeriod>
{
    public override RetentionPeriod Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        RetentionPeriod.TryParse(reader.GetString() ?? string.Empty, out var retention)
            ? retention
            : throw new JsonException("Expected an ISO 8601 duration or 'until-account-cancellation'.");

    public override void Write(Utf8JsonWriter writer, RetentionPeriod value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
