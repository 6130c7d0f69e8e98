using System.Buffers.Text;
using System.Text;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Konzen.Privacy.Host.Tests.Consent;

/// <summary>Anyone can verify a consent receipt with the key the service publishes.</summary>
public sealed class ConsentEndpointsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Receipt_VerifiedWithJoseLibraryAgainstPublishedJwks_IsValidAndFailsAfterOnePayloadByteChanges(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var factory = new KonzenFactory();
        await using var app = factory.WithWebHostBuilder(builder =>
        {
            foreach (var (key, value) in store.HostSettings)
            {
                builder.UseSetting(key, value);
            }
        });
        var client = app.CreateClient();
        var receipt = await IssueReceiptAsync(app);

        var jwks = new JsonWebKeySet(await client.GetStringAsync("/.well-known/jwks.json", Cancel));
        var parameters = new TokenValidationParameters
        {
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
            RequireSignedTokens = true,
        };
        var handler = new JsonWebTokenHandler();
        var valid = await handler.ValidateTokenAsync(receipt.Jws, parameters);
        var tampered = await handler.ValidateTokenAsync(ChangeOnePayloadByte(receipt.Jws), parameters);

        Assert.True(valid.IsValid, valid.Exception?.Message);
        Assert.Equal(receipt.ReceiptId.ToString("D"), valid.Claims["consentReceiptID"]);
        Assert.False(tampered.IsValid);
        Assert.IsType<SecurityTokenInvalidSignatureException>(tampered.Exception);
    }

    [Fact]
    public async Task Jwks_Get_ServesOneP256KeyWithoutPrivatePartsAndIsInOpenApi()
    {
        await using var factory = new KonzenFactory();
        var client = factory.CreateClient();

        var response = await client.GetAsync("/.well-known/jwks.json", Cancel);
        var json = await response.Content.ReadAsStringAsync(Cancel);
        var key = Assert.Single(new JsonWebKeySet(json).Keys);
        var openApi = await client.GetStringAsync("/openapi/v1.json", Cancel);

        response.EnsureSuccessStatusCode();
        Assert.Equal(("EC", "P-256", "ES256", "sig"), (key.Kty, key.Crv, key.Alg, key.Use));
        Assert.Equal(factory.Services.GetRequiredService<ReceiptSigner>().KeyId, key.Kid);
        Assert.DoesNotContain("\"d\"", json, StringComparison.Ordinal);
        Assert.Contains("/.well-known/jwks.json", openApi, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_FirstTime_CreatesTheSigningKeyFileInTheDataDirectoryWithMode0600()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes only.");
        using var folder = new TempFolder();
        await using var factory = new KonzenFactory();
        using var client = factory.With("Storage:DataDirectory", folder.Path).CreateClient();

        (await client.GetAsync("/.well-known/jwks.json", Cancel)).EnsureSuccessStatusCode();
        var path = Path.Combine(folder.Path, "receipt-signing.key");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(path));
    }

    /// <summary>Grants consent through the service's own ledger, as the privacy center will.</summary>
    private static async Task<ConsentReceipt> IssueReceiptAsync(WebApplicationFactory<Program> app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        var subject = new Subject { Id = Guid.NewGuid(), Region = "CN", CreatedAt = DateTimeOffset.UnixEpoch, AcceptedPolicyHash = "h" };
        db.Add(subject);
        await db.SaveChangesAsync(Cancel);
        var change = await scope.ServiceProvider.GetRequiredService<ConsentLedger>()
            .RecordAsync(subject.Id, "analytics.reporting", true, ConsentMethod.Web, new ConsentEvidence("198.51.100.1", "test"), $"subject:{subject.Id}", Cancel);
        return change.Receipt!;
    }

    /// <summary>Changes one byte of the payload (a digit of the subject id), keeping it valid JSON.</summary>
    private static string ChangeOnePayloadByte(string jws)
    {
        var parts = jws.Split('.');
        var payload = Base64Url.DecodeFromChars(parts[1]);
        var at = Encoding.ASCII.GetString(payload).IndexOf("\"piiPrincipalId\":\"", StringComparison.Ordinal) + "\"piiPrincipalId\":\"".Length;
        payload[at] = payload[at] == (byte)'0' ? (byte)'1' : (byte)'0';
        return $"{parts[0]}.{Base64Url.EncodeToString(payload)}.{parts[2]}";
    }
}
