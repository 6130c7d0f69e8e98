using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Consent;

/// <summary>Signed consent receipts and the key that signs them.</summary>
public sealed class ReceiptTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("konzen-receipt-").FullName;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>The decoded JSON payload of a JWS compact serialization.</summary>
    internal static string PayloadOf(string jws) => Encoding.UTF8.GetString(Base64Url.DecodeFromChars(jws.Split('.')[1]));

    [Fact]
    public void Signer_FirstStart_CreatesAKeyFileOnlyItsOwnerCanReadOrWrite()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes only.");
        var path = Path.Combine(folder, "keys", "receipt-signing.key");

        using var signer = new ReceiptSigner(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(path));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void EvidenceHasher_FirstStart_CreatesAKeyFileOnlyItsOwnerCanReadOrWrite()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes only.");
        var path = Path.Combine(folder, "consent-evidence.key");

        _ = new EvidenceHasher(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(path));
        Assert.Equal(32, new FileInfo(path).Length);
    }

    [Fact]
    public void Signer_SecondStart_KeepsTheKeyAndItsId()
    {
        var path = Path.Combine(folder, "receipt-signing.key");
        using var first = new ReceiptSigner(path);
        using var second = new ReceiptSigner(path);
        using var other = new ReceiptSigner(Path.Combine(folder, "other.key"));

        Assert.Equal(first.KeyId, second.KeyId);
        Assert.NotEqual(first.KeyId, other.KeyId);
        Assert.Equal(first.Jwks().Keys, second.Jwks().Keys);
    }

    [Fact]
    public void Sign_Payload_VerifiesWithThePublishedKeyAndNotAfterOneByteChanges()
    {
        using var signer = new ReceiptSigner(Path.Combine(folder, "receipt-signing.key"));
        var jws = signer.Sign("{\"consentStatus\":\"granted\"}"u8);
        var parts = jws.Split('.');
        var jwk = Assert.Single(signer.Jwks().Keys);
        using var key = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64Url.DecodeFromChars(jwk.X), Y = Base64Url.DecodeFromChars(jwk.Y) },
        });
        var signature = Base64Url.DecodeFromChars(parts[2]);
        var tampered = Base64Url.EncodeToString("{\"consentStatus\":\"grantee\"}"u8);

        Assert.Equal(("EC", "P-256", "ES256", signer.KeyId), (jwk.Kty, jwk.Crv, jwk.Alg, jwk.Kid));
        Assert.Contains($"\"kid\":\"{signer.KeyId}\"", Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[0])), StringComparison.Ordinal);
        Assert.True(key.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), signature, HashAlgorithmName.SHA256));
        Assert.False(key.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{tampered}"), signature, HashAlgorithmName.SHA256));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Record_Withdrawal_IssuesAReceiptWithTheConsentReceiptFields(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);
        var subject = await node.AddSubjectAsync(Cancel);
        var policy = node.Services.GetRequiredService<CompiledPolicy>();

        var change = await node.WithLedgerAsync(l => l.RecordAsync(subject, "analytics.reporting", false, ConsentMethod.App, ConsentEvidence.None, $"subject:{subject}", Cancel));
        var history = await node.WithLedgerAsync(l => l.GetHistoryAsync(subject, Cancel));

        using var json = JsonDocument.Parse(PayloadOf(change.Receipt!.Jws));
        var root = json.RootElement;
        var purpose = root.GetProperty("services")[0].GetProperty("purposes")[0];
        Assert.Equal("KI-CR-v1.1.0", root.GetProperty("version").GetString());
        Assert.Equal("CN", root.GetProperty("jurisdiction").GetString());
        Assert.Equal("app", root.GetProperty("collectionMethod").GetString());
        Assert.Equal(change.Receipt.ReceiptId, root.GetProperty("consentReceiptID").GetGuid());
        Assert.Equal(subject, root.GetProperty("piiPrincipalId").GetGuid());
        Assert.Equal(history[0].At.ToUnixTimeSeconds(), root.GetProperty("consentTimestamp").GetInt64());
        Assert.Equal("Konzen", root.GetProperty("piiControllers")[0].GetProperty("piiController").GetString());
        Assert.Equal("privacy@konzen.example", root.GetProperty("piiControllers")[0].GetProperty("contact").GetString());
        Assert.Equal("/policy", root.GetProperty("policyUrl").GetString());
        Assert.Equal(policy.Version.Number, root.GetProperty("policyVersion").GetString());
        Assert.Equal(policy.Version.ContentHash, root.GetProperty("policyHash").GetString());
        Assert.Equal("analytics.reporting", purpose.GetProperty("purposeKey").GetString());
        Assert.Equal("withdrawn", purpose.GetProperty("consentStatus").GetString());
        Assert.Equal("EXPLICIT", purpose.GetProperty("consentType").GetString());
        Assert.Equal(
            policy[policy.Purpose("analytics.reporting")].Categories,
            purpose.GetProperty("piiCategory").EnumerateArray().Select(c => c.GetString()!));
        Assert.Equal(change.Receipt.Jws, history[0].Receipt);
    }
}
