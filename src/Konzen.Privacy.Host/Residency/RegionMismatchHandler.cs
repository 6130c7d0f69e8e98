using Konzen.Privacy.Residency;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Konzen.Privacy.Host.Residency;

/// <summary>
/// Answers a refused write of a subject's data to a store of another region (S2.3) with a problem
/// instead of a 500, wherever in the request it was refused. 451: the law, not the request, stands in
/// the way, so retrying cannot help. The detail names regions only.
/// </summary>
internal sealed class RegionMismatchHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public const string RegionMismatch = "urn:konzen:problem:region-mismatch";

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not ResidencyViolationException violation)
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status451UnavailableForLegalReasons;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status451UnavailableForLegalReasons,
                Type = RegionMismatch,
                Title = "Region mismatch",
                Detail = violation.Message,
            },
        });
    }
}
