using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host;

/// <summary>Stable problem types (RFC 9457), one per kind of refusal a client can act on.</summary>
internal static class Problems
{
    public const string UnknownLanguage = "urn:konzen:problem:unknown-language";
    public const string BodyTooLarge = "urn:konzen:problem:body-too-large";
    public const string MalformedBody = "urn:konzen:problem:malformed-body";
    public const string BadRequestType = "urn:konzen:problem:bad-request";
    public const string InvalidInput = "urn:konzen:problem:invalid-input";
    public const string PolicyOutdated = "urn:konzen:problem:policy-outdated";
    public const string UnknownRegistration = "urn:konzen:problem:unknown-registration";
    public const string InvalidCode = "urn:konzen:problem:invalid-code";
    public const string CodeExpired = "urn:konzen:problem:code-expired";
    public const string TooManyAttempts = "urn:konzen:problem:too-many-attempts";
    public const string AlreadyRegistered = "urn:konzen:problem:already-registered";
    public const string LoginFailed = "urn:konzen:problem:login-failed";
    public const string UnknownPurpose = "urn:konzen:problem:unknown-purpose";
    public const string PurposeNotOptional = "urn:konzen:problem:purpose-not-optional";
    public const string SweepInProgress = "urn:konzen:problem:sweep-in-progress";
    public const string MinorRestricted = "urn:konzen:problem:minor-restricted";
    public const string GuardianConsentRequired = "urn:konzen:problem:guardian-consent-required";
    public const string NotAMinor = "urn:konzen:problem:not-a-minor";
    public const string GuardianVerified = "urn:konzen:problem:guardian-verified";
    public const string ServiceCeasing = "urn:konzen:problem:service-ceasing";

    /// <summary>410: the end of the service is announced, so registration and optional collection have stopped for good (S2.5).</summary>
    public static ProblemHttpResult Ceasing(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status410Gone, title: "The service is ending", type: ServiceCeasing);

    public static ProblemHttpResult BadRequest(string type, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: title, type: type);

    /// <summary>A 400 naming the one field that is wrong and what was expected.</summary>
    public static ProblemHttpResult Invalid(string detail, string field, string expected) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid input", type: InvalidInput,
            extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["errors"] = new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [expected] } });
}
