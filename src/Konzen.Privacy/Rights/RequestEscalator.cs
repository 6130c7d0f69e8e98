using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Rights;

/// <summary>Runs a <see cref="RequestEscalation"/> every <see cref="RequestOptions.EscalationInterval"/>; a failed run answers null.</summary>
internal sealed class RequestEscalator(
    IServiceScopeFactory scopes,
    IOptions<RequestOptions> options,
    TimeProvider time,
    ILogger<RequestEscalator> logger) : PeriodicJob<EscalationResult?>(scopes, time, logger)
{
    protected override string Name => "Request escalation";

    protected override TimeSpan? Interval => options.Value.EscalationEnabled ? options.Value.EscalationInterval : null;

    protected override EscalationResult? Failed => null;

    protected override async Task<EscalationResult?> RunAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        await services.GetRequiredService<RequestEscalation>().RunAsync(cancellationToken);
}
