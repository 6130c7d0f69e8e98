using Konzen.Privacy.Consent;

namespace Konzen.Privacy.Host.Consent;

/// <summary>What anyone needs to verify a consent receipt: the public signing key set.</summary>
internal static class ConsentEndpoints
{
    public static RouteGroupBuilder MapConsentEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(string.Empty).WithTags("Consent");
        group.MapGet("/.well-known/jwks.json", (ReceiptSigner signer) => TypedResults.Ok(signer.Jwks()))
            .WithSummary("The public keys (JWK set, ES256) that verify every consent receipt this service signs.");
        return group;
    }
}
