using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host;

/// <summary>Stable problem types (RFC 9457), one per kind of refusal a client can act on.</summary>
internal static class Problems
{
    public const string UnknownLanguage = "urn:konzen:problem:unknown-language";

    public static ProblemHttpResult BadRequest(string type, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: title, type: type);
}
