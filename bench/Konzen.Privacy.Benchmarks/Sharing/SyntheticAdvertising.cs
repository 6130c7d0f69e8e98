namespace Konzen.Privacy.Benchmarks.Sharing;

/// <summary>
/// A seeded synthetic advertising population: adults of 18 to 77 spread around four cities, on a
/// handful of device models, browsing over the last 30 days. Shared by the engine benchmark and the
/// end-to-end dataset run so that both measure the same shape of data.
/// </summary>
internal static class SyntheticAdvertising
{
    public static readonly (double Latitude, double Longitude)[] Cities =
        [(31.2304, 121.4737), (39.9042, 116.4074), (22.5431, 114.0579), (30.5728, 104.0668)];

    public static readonly string[] Models =
        ["iPhone 15", "iPhone 13", "SM-G991B", "Pixel 8", "Redmi Note 12", "iPad Air", "Windows NT 10.0", "Macintosh; Intel Mac OS X"];

    public static readonly string[] Pages = [.. Enumerable.Range(0, 200).Select(i => $"/domains/{(i % 4) switch { 0 => "search", 1 => "register", 2 => "renew", _ => "transfer" }}/{i}")];

    /// <summary>A subject's traits from the seeded random source.</summary>
    public static (int Age, double Latitude, double Longitude, string Model) Subject(Random random)
    {
        var city = Cities[random.Next(Cities.Length)];

        // Most people near the centre, some across the metropolitan area (about ±30 km).
        var spread = random.NextDouble() < 0.8 ? 0.08 : 0.3;
        return (
            18 + random.Next(60),
            city.Latitude + ((random.NextDouble() - 0.5) * spread),
            city.Longitude + ((random.NextDouble() - 0.5) * spread),
            Models[random.Next(Models.Length)]);
    }
}
