using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Retention;

/// <summary>Runs a <see cref="RetentionSweep"/> as <c>system</c> every <see cref="RetentionOptions.Interval"/>.</summary>
internal sealed class RetentionSweeper(
    IServiceScopeFactory scopes,
    IOptions<RetentionOptions> options,
    TimeProvider time,
    ILogger<RetentionSweeper> logger) : PeriodicJob<RetentionSweepOutcome>(scopes, time, logger)
{
    protected override string Name => "Retention sweep";

    protected override TimeSpan? Interval => options.Value.Enabled ? options.Value.Interval : null;

    protected override RetentionSweepOutcome Failed => RetentionSweepOutcome.Failed;

    protected override async Task<RetentionSweepOutcome> RunAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        (await services.GetRequiredService<RetentionSweep>().RunAsync(RetentionSweep.SystemActor, cancellationToken)).Outcome;
}
