namespace Konzen.Privacy.Sharing;

/// <summary>
/// A page as an advertiser may see it: the path only. The query string and fragment go (they carry
/// search terms, tokens and campaign ids), and a path segment that looks like an identifier (an email
/// address, a long number such as a phone or order number, a GUID or a long hex or base64 token) is
/// replaced by <c>{id}</c>, so no value of an identifying category rides along in a URL.
/// </summary>
public static class PagePaths
{
    /// <summary>What replaces a segment that looks like an identifier.</summary>
    public const string Placeholder = "{id}";

    public static string Path(string? page)
    {
        if (string.IsNullOrEmpty(page))
        {
            return "/";
        }

        var end = page.AsSpan().IndexOfAny('?', '#');
        var path = end < 0 ? page : page[..end];

        // An absolute URL keeps only its path.
        var scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            var slash = path.IndexOf('/', scheme + 3);
            path = slash < 0 ? "/" : path[slash..];
        }

        if (path.Length == 0)
        {
            return "/";
        }

        var segments = path.Split('/');
        var changed = false;
        for (var i = 0; i < segments.Length; i++)
        {
            if (LooksIdentifying(segments[i]))
            {
                segments[i] = Placeholder;
                changed = true;
            }
        }

        return changed ? string.Join('/', segments) : path;
    }

    /// <summary>The longest click target a report shows; longer ones are cut.</summary>
    public const int MaxTargetLength = 128;

    /// <summary>
    /// A click target as an aggregate may show it: <c>-</c> when there is none, <see cref="Placeholder"/>
    /// when it looks like an identifier, otherwise the target cut to <see cref="MaxTargetLength"/>.
    /// </summary>
    public static string Target(string? target)
    {
        if (string.IsNullOrWhiteSpace(target))
        {
            return "-";
        }

        if (LooksIdentifying(target))
        {
            return Placeholder;
        }

        return target.Length > MaxTargetLength ? target[..MaxTargetLength] : target;
    }

    private static bool LooksIdentifying(string segment)
    {
        if (segment.Contains('@', StringComparison.Ordinal) || segment.Contains("%40", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var digits = 0;
        var hex = 0;
        var tokenish = 0;
        foreach (var c in segment)
        {
            digits += char.IsAsciiDigit(c) ? 1 : 0;
            hex += char.IsAsciiHexDigit(c) || c == '-' ? 1 : 0;
            tokenish += char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? 1 : 0;
        }

        // Six or more digits: a phone, account or order number. All hex and long: a GUID or hash.
        // A long unbroken token with digits in it: a session or reset token.
        return digits >= 6
            || (segment.Length >= 16 && hex == segment.Length)
            || (segment.Length >= 24 && tokenish == segment.Length && digits > 0);
    }
}
