namespace Konzen.Privacy.Sharing;

/// <summary>
/// A device's family (for example "iPhone", "Android phone", "Windows desktop") and type (phone, tablet,
/// desktop), derived from what a device event reports (its <c>model</c>, <c>os</c> or <c>userAgent</c>).
/// A family groups millions of devices; a model name or version would narrow a person down, so neither
/// ever leaves.
/// </summary>
public static class DeviceFamilies
{
    /// <summary>The family when nothing is known or recognized.</summary>
    public const string Unknown = "other";

    /// <summary>The data keys a device event's description is read from, most telling first.</summary>
    public static IReadOnlyList<string> Keys { get; } = ["model", "os", "userAgent", "platform"];

    private static readonly (string Needle, string Family)[] Rules =
    [
        ("ipad", "iPad"),
        ("iphone", "iPhone"),
        ("android tablet", "Android tablet"),
        ("sm-t", "Android tablet"),
        ("tablet", "Android tablet"),
        ("android", "Android phone"),
        ("pixel", "Android phone"),
        ("galaxy", "Android phone"),
        ("sm-", "Android phone"),
        ("huawei", "Android phone"),
        ("xiaomi", "Android phone"),
        ("redmi", "Android phone"),
        ("oppo", "Android phone"),
        ("vivo", "Android phone"),
        ("windows", "Windows desktop"),
        ("macintosh", "Mac desktop"),
        ("mac os", "Mac desktop"),
        ("macbook", "Mac desktop"),
        ("imac", "Mac desktop"),
        ("linux", "Linux desktop"),
        ("cros", "Chromebook"),
    ];

    /// <summary>The family of a device described by <paramref name="description"/> (a model, OS or user agent).</summary>
    public static string Family(string? description)
    {
        if (string.IsNullOrWhiteSpace(description))
        {
            return Unknown;
        }

        foreach (var (needle, family) in Rules)
        {
            if (description.Contains(needle, StringComparison.OrdinalIgnoreCase))
            {
                return family;
            }
        }

        return Unknown;
    }

    /// <summary>The type of a family: phone, tablet, desktop or other.</summary>
    public static string Type(string family) => family switch
    {
        "iPhone" or "Android phone" => "phone",
        "iPad" or "Android tablet" => "tablet",
        "Windows desktop" or "Mac desktop" or "Linux desktop" or "Chromebook" => "desktop",
        _ => Unknown,
    };
}
