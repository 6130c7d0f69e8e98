namespace Konzen.Privacy.Host.Consent;

/// <summary>
/// The first-party cookie that keys an anonymous visitor's consent record. It is set only when the
/// visitor makes a choice in the consent banner, never before: it is the record of that choice, so it
/// is essential, and it carries nothing but a random id.
/// </summary>
internal static class VisitorCookie
{
    public const string Name = "konzen.visitor";

    /// <summary>How long a choice is remembered before the banner asks again.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(365);

    /// <summary>The visitor's id, when the request carries a well-formed cookie.</summary>
    public static Guid? Read(HttpRequest request) =>
        request.Cookies.TryGetValue(Name, out var value) && Guid.TryParseExact(value, "N", out var id) ? id : null;

    public static void Write(HttpResponse response, Guid visitorId) =>
        response.Cookies.Append(Name, visitorId.ToString("N"), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = response.HttpContext.Request.IsHttps,
            MaxAge = Lifetime,
            Path = "/",
        });

    /// <summary>Whether the request carries the Global Privacy Control signal (<c>Sec-GPC: 1</c>).</summary>
    public static bool GpcOn(HttpRequest request) => request.Headers["Sec-GPC"] == "1";
}
