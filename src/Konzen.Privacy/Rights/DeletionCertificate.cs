using System.Text.Json;
using System.Text.Json.Serialization;

namespace Konzen.Privacy.Rights;

/// <summary>
/// The claims of a signed deletion certificate (S6.4): what was destroyed, when, under which key id,
/// and what was kept and why. Signed as a JWS (ES256) with the consent receipts' key, so
/// <c>/.well-known/jwks.json</c> verifies it. It names the subject only by its former account id.
/// </summary>
public sealed record DeletionCertificate(
    string Type,
    string Iss,
    long Iat,
    Guid CancellationId,
    Guid Sub,
    DateTimeOffset RequestedAt,
    DateTimeOffset? ConfirmedAt,
    DateTimeOffset CompletedAt,
    string PolicyVersion,
    DeletionCertificateKey Key,
    DeletionCertificateCounts Destroyed,
    DeletionCertificateKept Anonymized,
    IReadOnlyList<string> RecipientsNotified)
{
    /// <summary>The value of <see cref="Type"/>.</summary>
    public const string TypeName = "konzen-deletion-certificate/v1";

    /// <summary>camelCase, as every other document the service signs or serves.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.Never };
}

/// <summary>The destroyed data key: its id, the master key that wrapped it, when it was made and destroyed.</summary>
public sealed record DeletionCertificateKey(string KeyId, string? MasterKeyId, DateTimeOffset? CreatedAt, DateTimeOffset? DestroyedAt, bool Destroyed);

/// <summary>What was deleted, by kind: the personal field names (never their values) and row counts.</summary>
public sealed record DeletionCertificateCounts(IReadOnlyList<string> Fields, int PersonalFields, int LocationPoints, int PositioningStates, int LogEvents, int EventPseudonyms);

/// <summary>What was kept, anonymized, and why.</summary>
public sealed record DeletionCertificateKept(int ConsentEvents, string Reason);
