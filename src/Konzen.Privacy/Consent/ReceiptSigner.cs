using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Konzen.Privacy.Storage;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Consent;

/// <summary>A public key as a JSON Web Key (RFC 7517), an EC P-256 key for ES256.</summary>
public sealed record PublicJsonWebKey(
    [property: JsonPropertyName("kty")] string Kty,
    [property: JsonPropertyName("crv")] string Crv,
    [property: JsonPropertyName("x")] string X,
    [property: JsonPropertyName("y")] string Y,
    [property: JsonPropertyName("kid")] string Kid,
    [property: JsonPropertyName("use")] string Use,
    [property: JsonPropertyName("alg")] string Alg);

/// <summary>The keys that verify consent receipts, as served at <c>/.well-known/jwks.json</c>.</summary>
public sealed record PublicJsonWebKeySet([property: JsonPropertyName("keys")] IReadOnlyList<PublicJsonWebKey> Keys);

/// <summary>
/// Signs consent receipts as JWS compact serializations with ES256 (ECDSA P-256, SHA-256), so that
/// anyone holding the public key can check a receipt without trusting us or any library of ours.
/// The key lives in a file readable only by the service (mode 0600), created on first start.
/// </summary>
public sealed class ReceiptSigner : IDisposable
{
    private readonly ECDsa key;
    private readonly string header;
    private readonly PublicJsonWebKey publicKey;
    private readonly Lock signing = new();

    public ReceiptSigner(IOptions<ConsentOptions> consent, IOptions<StorageOptions> storage)
        : this(consent.Value.SigningKeyFile ?? Path.Combine(storage.Value.DataDirectory, "receipt-signing.key"))
    {
    }

    internal ReceiptSigner(string keyFile)
    {
        var pem = KeyFile.ReadOrCreate(keyFile, () =>
        {
            using var created = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return Encoding.ASCII.GetBytes(created.ExportPkcs8PrivateKeyPem());
        });
        key = ECDsa.Create();
        key.ImportFromPem(Encoding.ASCII.GetString(pem));
        var parameters = key.ExportParameters(includePrivateParameters: false);
        if (key.KeySize != 256 || parameters.Q.X is not { Length: 32 } || parameters.Q.Y is not { Length: 32 })
        {
            key.Dispose();
            throw new InvalidOperationException("The receipt signing key file does not hold an ECDSA P-256 key.");
        }

        var x = Base64Url.EncodeToString(parameters.Q.X);
        var y = Base64Url.EncodeToString(parameters.Q.Y);
        KeyId = Thumbprint(x, y);
        publicKey = new PublicJsonWebKey("EC", "P-256", x, y, KeyId, "sig", "ES256");
        header = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($$"""{"alg":"ES256","typ":"JWT","kid":"{{KeyId}}"}"""));
    }

    /// <summary>The RFC 7638 thumbprint of the public key, used as its <c>kid</c>.</summary>
    public string KeyId { get; }

    /// <summary>The public key set that verifies every receipt this signer issues.</summary>
    public PublicJsonWebKeySet Jwks() => new([publicKey]);

    /// <summary>Signs <paramref name="payload"/> (UTF-8 JSON) and returns the JWS compact serialization.</summary>
    public string Sign(ReadOnlySpan<byte> payload)
    {
        var signingInput = $"{header}.{Base64Url.EncodeToString(payload)}";
        byte[] signature;
        lock (signing)
        {
            // .NET's default signature format for ECDsa.SignData is IEEE P1363 (r || s), which is what JWS wants.
            signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);
        }

        return $"{signingInput}.{Base64Url.EncodeToString(signature)}";
    }

    public void Dispose() => key.Dispose();

    // RFC 7638: SHA-256 over the required members in lexicographic order, without whitespace.
    private static string Thumbprint(string x, string y) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"crv":"P-256","kty":"EC","x":"{{x}}","y":"{{y}}"}""")));
}

/// <summary>A signed consent receipt.</summary>
/// <param name="ReceiptId">The receipt's id, also its <c>consentReceiptID</c>.</param>
/// <param name="Jws">The receipt as a JWS compact serialization (ES256), verifiable with <c>/.well-known/jwks.json</c>.</param>
public sealed record ConsentReceipt(Guid ReceiptId, string Jws);

/// <summary>
/// The receipt's claims, after the Kantara Initiative Consent Receipt Specification v1.1 with the
/// consent status ISO/IEC TS 27560 adds. The subject appears only by id, never by contact details.
/// </summary>
internal static class ReceiptPayload
{
    public const string Version = "KI-CR-v1.1.0";

    public static byte[] Write(Policy.CompiledPolicy policy, Policy.Purpose purpose, bool granted, ConsentMethod method, Guid subjectId, Guid receiptId, DateTimeOffset at)
    {
        var document = policy.Document;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("version", Version);
            json.WriteString("jurisdiction", document.Controller.Region);
            json.WriteNumber("consentTimestamp", at.ToUnixTimeSeconds());
            json.WriteNumber("iat", at.ToUnixTimeSeconds());
            json.WriteString("collectionMethod", MethodName(method));
            json.WriteString("consentReceiptID", receiptId);
            json.WriteString("language", "en");
            json.WriteString("piiPrincipalId", subjectId);

            json.WriteStartArray("piiControllers");
            json.WriteStartObject();
            json.WriteString("piiController", document.Controller.Name.En);
            WriteContact(json, "contact", document, "email");
            WriteContact(json, "email", document, "email");
            WriteContact(json, "address", document, "post");
            WriteContact(json, "piiControllerUrl", document, "web");
            json.WriteEndObject();
            json.WriteEndArray();

            json.WriteString("policyUrl", "/policy");
            json.WriteString("policyVersion", document.Version.Number);
            json.WriteString("policyHash", document.Version.ContentHash);

            json.WriteStartArray("services");
            json.WriteStartObject();
            json.WriteString("service", document.Controller.Service.En);
            json.WriteStartArray("purposes");
            json.WriteStartObject();
            json.WriteString("purposeKey", purpose.Key);
            json.WriteString("purposeName", purpose.Name.En);
            json.WriteString("purpose", purpose.Description.En);
            json.WriteString("consentType", "EXPLICIT");
            json.WriteString("consentStatus", granted ? "granted" : "withdrawn");
            json.WriteStartArray("purposeCategory");
            json.WriteStringValue(purpose.Clause);
            json.WriteEndArray();
            json.WriteStartArray("piiCategory");
            foreach (var category in purpose.Categories)
            {
                json.WriteStringValue(category);
            }

            json.WriteEndArray();
            json.WriteBoolean("primaryPurpose", !purpose.Optional);
            json.WriteString("termination", "until withdrawn by the subject");
            json.WriteBoolean("thirdPartyDisclosure", document.Sharing.Recipients.Any(r => r.Purposes.Contains(purpose.Key)));
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();

            var sensitive = purpose.Categories
                .Where(key => document.Categories.Any(c => c.Key == key && c.Sensitivity == Policy.Sensitivity.Sensitive))
                .ToList();
            json.WriteBoolean("sensitive", sensitive.Count > 0);
            json.WriteStartArray("spiCat");
            foreach (var category in sensitive)
            {
                json.WriteStringValue(category);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static string MethodName(ConsentMethod method) => method switch
    {
        ConsentMethod.Web => "web",
        ConsentMethod.App => "app",
        ConsentMethod.Api => "api",
        ConsentMethod.Guardian => "guardian",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    private static void WriteContact(Utf8JsonWriter json, string name, Policy.PolicyDocument document, string kind)
    {
        if (document.Controller.Contact.FirstOrDefault(c => c.Kind == kind) is { } channel)
        {
            json.WriteString(name, channel.Address);
        }
    }
}
