namespace Konzen.Privacy.Collection;

/// <summary>
/// The words events use, and what they mean in the policy: a purpose alias names a policy purpose,
/// an event type names the category of what it records.
/// </summary>
public static class EventVocabulary
{
    /// <summary>The purpose aliases, in the order answers list them, with their policy purpose keys.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Purposes { get; } =
    [
        new("security", "essential.service.security"),
        new("analytics", "analytics.reporting"),
        new("personalization", "personalize"),
        new("advertising", "marketing.advertising.profiling"),
    ];

    /// <summary>The event types with the policy category each records.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Types { get; } =
    [
        new("page-view", "user.behavior.browsing_history"),
        new("click", "user.behavior.clicks"),
        new("device", "user.device"),
        new("search", "user.behavior.search_history"),
    ];

    /// <summary>The category of the sender's (truncated) network address, stored only for purposes the policy allows it.</summary>
    public const string IpCategory = "user.device.ip_address";

    /// <summary>The index of a purpose alias in <see cref="Purposes"/>, or -1.</summary>
    public static int PurposeIndex(string? alias) => IndexOf(Purposes, alias);

    /// <summary>The index of an event type in <see cref="Types"/>, or -1.</summary>
    public static int TypeIndex(string? type) => IndexOf(Types, type);

    private static int IndexOf(IReadOnlyList<KeyValuePair<string, string>> words, string? word)
    {
        for (var i = 0; i < words.Count; i++)
        {
            if (string.Equals(words[i].Key, word, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
