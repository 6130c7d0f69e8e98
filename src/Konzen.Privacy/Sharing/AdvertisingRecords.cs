namespace Konzen.Privacy.Sharing;

/// <summary>
/// The rows of an advertiser dataset before de-identification, column by column: per subject its
/// pseudonym and quasi-identifiers, per event its subject, time, type and page. Pages are interned, so
/// a million events on a few thousand pages hold a few thousand strings.
/// </summary>
internal sealed class AdvertisingRecords
{
    private readonly Dictionary<string, int> pageIds = new(StringComparer.Ordinal);

    // Raw pages as sent (with their queries) to their path's id: a page seen again costs one lookup, not a parse.
    private readonly Dictionary<string, int> rawPageIds = new(StringComparer.Ordinal);

    public List<string> Pseudonyms { get; } = [];

    public List<int> Ages { get; } = [];

    /// <summary>The subject's geohash of length 5, or null when location may not be used or is unknown.</summary>
    public List<string?> Locations { get; } = [];

    public List<string> Devices { get; } = [];

    public List<int> Owners { get; } = [];

    public List<DateTimeOffset> Times { get; } = [];

    public List<string> Types { get; } = [];

    public List<int> Pages { get; } = [];

    public List<string> PageValues { get; } = [];

    public int Subjects => Pseudonyms.Count;

    public int Rows => Owners.Count;

    /// <summary>Adds a subject and returns its index.</summary>
    public int AddSubject(string pseudonym, int age, string? geohash5, string deviceFamily)
    {
        Pseudonyms.Add(pseudonym);
        Ages.Add(age);
        Locations.Add(geohash5);
        Devices.Add(deviceFamily);
        return Pseudonyms.Count - 1;
    }

    /// <summary>Adds an event of subject <paramref name="owner"/>; <paramref name="page"/> is reduced to its path first.</summary>
    public void AddEvent(int owner, DateTimeOffset at, string type, string? page)
    {
        Owners.Add(owner);
        Times.Add(at);
        Types.Add(type);
        var raw = page ?? string.Empty;
        if (!rawPageIds.TryGetValue(raw, out var id))
        {
            var path = PagePaths.Path(page);
            if (!pageIds.TryGetValue(path, out id))
            {
                id = PageValues.Count;
                PageValues.Add(path);
                pageIds.Add(path, id);
            }

            rawPageIds.Add(raw, id);
        }

        Pages.Add(id);
    }
}
