using System.Globalization;

namespace Konzen.Privacy.Sharing;

/// <summary>
/// The four quasi-identifiers of an advertiser dataset and their hierarchies:
/// age (year → 5-year band → 10-year band → 20-year band → *, bands counted from the adult age),
/// location (geohash of length 5 → 4 → 3 → 2 → *), time (hour → 6 hours → day → ISO week → *, in UTC)
/// and device (family → type → *). Each distinct base value is added to its hierarchy once and cached,
/// so encoding a million rows costs a dictionary lookup per value.
/// </summary>
public sealed class AdvertisingQuasiIdentifiers(int adultAge = 18)
{
    private readonly Dictionary<int, int> ages = [];
    private readonly Dictionary<string, int> locations = new(StringComparer.Ordinal);
    private readonly Dictionary<long, int> hours = [];
    private readonly Dictionary<string, int> devices = new(StringComparer.Ordinal);

    public QuasiIdentifier Age { get; } = new("age", 5);

    public QuasiIdentifier Location { get; } = new("location", 5);

    public QuasiIdentifier Time { get; } = new("time", 5);

    public QuasiIdentifier Device { get; } = new("device", 3);

    /// <summary>The four, in the order the engine gets their columns.</summary>
    public IReadOnlyList<QuasiIdentifier> All => [Age, Location, Time, Device];

    /// <summary>The base code of an age in whole years (at least the adult age).</summary>
    public int AgeCode(int years)
    {
        if (!ages.TryGetValue(years, out var code))
        {
            code = Age.Add([years.ToString(CultureInfo.InvariantCulture), Band(years, 5), Band(years, 10), Band(years, 20)]);
            ages.Add(years, code);
        }

        return code;
    }

    /// <summary>The base code of a geohash of length 5, or of <c>*</c> when the location may not be used or is unknown.</summary>
    public int LocationCode(string? geohash5)
    {
        var value = geohash5 is { Length: 5 } ? geohash5 : QuasiIdentifier.Suppressed;
        if (!locations.TryGetValue(value, out var code))
        {
            code = value == QuasiIdentifier.Suppressed
                ? Location.Add([value, value, value, value])
                : Location.Add([value, value[..4], value[..3], value[..2]]);
            locations.Add(value, code);
        }

        return code;
    }

    /// <summary>The base code of the hour <paramref name="at"/> falls in (UTC).</summary>
    public int TimeCode(DateTimeOffset at)
    {
        var hour = at.ToUnixTimeSeconds() / 3600;
        if (!hours.TryGetValue(hour, out var code))
        {
            var start = DateTimeOffset.FromUnixTimeSeconds(hour * 3600);
            var block = start.AddHours(-(start.Hour % 6));
            var day = DateOnly.FromDateTime(start.UtcDateTime);
            var week = $"{ISOWeek.GetYear(start.UtcDateTime)}-W{ISOWeek.GetWeekOfYear(start.UtcDateTime):00}";
            code = Time.Add([
                start.ToString("yyyy-MM-dd'T'HH'h'", CultureInfo.InvariantCulture),
                block.ToString("yyyy-MM-dd'T'HH'h'", CultureInfo.InvariantCulture) + "+6h",
                day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                week]);
            hours.Add(hour, code);
        }

        return code;
    }

    /// <summary>The base code of a device family (<see cref="DeviceFamilies"/>).</summary>
    public int DeviceCode(string family)
    {
        if (!devices.TryGetValue(family, out var code))
        {
            code = Device.Add([family, DeviceFamilies.Type(family)]);
            devices.Add(family, code);
        }

        return code;
    }

    // Bands start at the adult age, so every band of an adult dataset is whole: 18-22, 23-27, … for five years.
    private string Band(int years, int width)
    {
        var low = adultAge + (((years - adultAge) / width) * width);
        return string.Create(CultureInfo.InvariantCulture, $"{low}-{low + width - 1}");
    }
}
