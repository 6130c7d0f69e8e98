using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Retention;

/// <summary>
/// Runs a <see cref="RetentionSweep"/> once every <see cref="RetentionOptions.Interval"/>, in a scope of
/// its own, as <c>system</c>. The first sweep comes one interval after start-up. A failed sweep is logged
/// (its error's type only, never its message) and the next tick tries again: expiry never stops the host.
/// </summary>
internal sealed partial class RetentionSweeper(
    IServiceScopeFactory scopes,
    IOptions<RetentionOptions> options,
    TimeProvider time,
    ILogger<RetentionSweeper> logger) : BackgroundService
{
    private PeriodicTimer? timer;
    private TaskCompletionSource<RetentionSweepOutcome> next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the outcome of the next sweep this sweeper runs (tests wait on it instead of sleeping).</summary>
    internal Task<RetentionSweepOutcome> NextSweep => Volatile.Read(ref next).Task;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // The timer is made here rather than in ExecuteAsync, which the host runs on the thread pool:
        // the first interval then counts from start-up, whenever the loop gets to run.
        if (options.Value.Enabled)
        {
            timer = new PeriodicTimer(options.Value.Interval, time);
        }

        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        timer?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (timer is null)
        {
            return;
        }

        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                // Off the timer's thread: ticks that fire while a sweep runs (a clock that jumps ahead)
                // then fold into one next tick instead of one sweep each.
                await Task.Yield();
                var outcome = await SweepOnceAsync(stoppingToken);
                Interlocked.Exchange(ref next, new TaskCompletionSource<RetentionSweepOutcome>(TaskCreationOptions.RunContinuationsAsynchronously))
                    .TrySetResult(outcome);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task<RetentionSweepOutcome> SweepOnceAsync(CancellationToken stoppingToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<RetentionSweep>().RunAsync(RetentionSweep.SystemActor, stoppingToken);
            return result.Outcome;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A failed sweep must not stop the host; the next tick runs it again.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogFailed(logger, e.GetType().Name, options.Value.Interval);
            return RetentionSweepOutcome.Failed;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Retention sweep failed ({ErrorType}); the next one runs in {Interval}")]
    private static partial void LogFailed(ILogger logger, string errorType, TimeSpan interval);
}
