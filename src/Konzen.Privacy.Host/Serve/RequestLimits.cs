using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;

namespace Konzen.Privacy.Host.Serve;

/// <summary>
/// Host-wide limits on what a request may carry: bodies of at most 64 KiB and JSON without unknown
/// fields. Both refusals are problem details that say what was wrong, never what was sent.
/// </summary>
internal static class RequestLimits
{
    /// <summary>The largest request body accepted: 64 KiB.</summary>
    public const long MaxBodyBytes = 64 * 1024;

    public static WebApplicationBuilder AddRequestLimits(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = MaxBodyBytes);

        // A field the endpoint does not know is a mistake (or a probe) to refuse, not to ignore.
        builder.Services.Configure<JsonOptions>(json => json.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow);

        // Binding failures reach the exception handler below, which writes a problem with a reason
        // instead of a bare 400.
        builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<BadRequestProblems>();
        return builder;
    }

    /// <summary>
    /// Refuses a declared length over the limit before anything reads the body. Kestrel enforces the
    /// same limit on bodies without a length; the in-process test server has no such limit of its own.
    /// </summary>
    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var limit = context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? MaxBodyBytes;
            if (limit != MaxBodyBytes && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                // An endpoint that takes larger bodies says so in its metadata; Kestrel then enforces that limit.
                size.MaxRequestBodySize = limit;
            }

            if (context.Request.ContentLength > limit)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = BadRequestProblems.TooLarge(limit),
                });
                return;
            }

            await next(context);
        });
}

/// <summary>Turns the framework's binding failures into problem details with a stable type.</summary>
internal sealed class BadRequestProblems(IProblemDetailsService problems) : IExceptionHandler
{
    public static Microsoft.AspNetCore.Mvc.ProblemDetails TooLarge(long limit = RequestLimits.MaxBodyBytes) => new()
    {
        Status = StatusCodes.Status413PayloadTooLarge,
        Type = Problems.BodyTooLarge,
        Title = "Request body too large",
        Detail = $"Request bodies are limited to {(limit / 1024).ToString(CultureInfo.InvariantCulture)} KiB.",
    };

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        var problem = bad switch
        {
            { StatusCode: StatusCodes.Status413PayloadTooLarge } => TooLarge(
                httpContext.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? RequestLimits.MaxBodyBytes),
            { InnerException: JsonException json } => new Microsoft.AspNetCore.Mvc.ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest,
                Type = Problems.MalformedBody,
                Title = "Malformed request body",

                // The path names the field; the value is never echoed, since it may be personal data.
                Detail = $"The body does not fit this endpoint at {json.Path ?? "$"}: the field is unknown, or its value is malformed or of the wrong type.",
            },
            _ => new Microsoft.AspNetCore.Mvc.ProblemDetails
            {
                Status = bad.StatusCode,
                Type = Problems.BadRequestType,
                Title = "Bad request",
                Detail = bad.Message,
            },
        };
        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }
}

/// <summary>Endpoint metadata for a body limit other than the host's <see cref="RequestLimits.MaxBodyBytes"/>.</summary>
internal sealed record BodySizeLimit(long? MaxRequestBodySize) : IRequestSizeLimitMetadata;
