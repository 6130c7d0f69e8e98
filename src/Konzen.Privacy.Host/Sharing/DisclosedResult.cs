namespace Konzen.Privacy.Host.Sharing;

/// <summary>
/// The disclosed bytes exactly as they were hashed, with the disclosure's id and SHA-256 in headers, so
/// the recipient can match what it received to the disclosure the subjects see in their exports. Owns
/// <c>body</c> and disposes it once sent.
/// </summary>
internal sealed class DisclosedResult(
    Stream body, string contentType, Guid disclosureId, byte[] sha256, IReadOnlyList<KeyValuePair<string, string>> headers) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        await using (body)
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = contentType;
            response.Headers[SharingEndpoints.DisclosureIdHeader] = disclosureId.ToString();
            response.Headers[SharingEndpoints.DisclosureHashHeader] = Convert.ToHexStringLower(sha256);
            foreach (var (name, value) in headers)
            {
                response.Headers[name] = value;
            }

            response.ContentLength = body.Length - body.Position;
            await body.CopyToAsync(response.Body, httpContext.RequestAborted);
        }
    }
}
