using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Konzen.Privacy;

/// <summary>
/// A thin host over a plain service that the CLI or an endpoint can call too: runs it every interval,
/// in a scope of its own, on the injected <see cref="TimeProvider"/> (so a fake clock drives it in
/// tests). The first run comes one interval after start-up. A failed run is logged (its error's type
/// only, never its message, which may hold personal data) and the next tick tries again: a background
/// job never stops the host.
/// </summary>
/// <typeparam name="TResult">What one run answers; <see cref="Failed"/> stands for a run that threw.</typeparam>
internal abstract class PeriodicJob<TResult>(IServiceScopeFactory scopes, TimeProvider time, ILogger logger) : BackgroundService
{
    private PeriodicTimer? timer;
    private TaskCompletionSource<TResult> next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the result of the next run (tests wait on it instead of sleeping).</summary>
    internal Task<TResult> NextRun => Volatile.Read(ref next).Task;

    /// <summary>The job's name in the log, for example "Retention sweep".</summary>
    protected abstract string Name { get; }

    /// <summary>How often the job runs; null when it is switched off.</summary>
    protected abstract TimeSpan? Interval { get; }

    /// <summary>The result recorded for a run that threw.</summary>
    protected abstract TResult Failed { get; }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Made here rather than in ExecuteAsync, which the host runs on the thread pool: the first
        // interval then counts from start-up, whenever the loop gets to run.
        if (Interval is { } interval)
        {
            timer = new PeriodicTimer(interval, time);
        }

        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        timer?.Dispose();
        base.Dispose();
    }

    /// <summary>One run with the services of a new scope.</summary>
    protected abstract Task<TResult> RunAsync(IServiceProvider services, CancellationToken cancellationToken);

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
                // Off the timer's thread: ticks that fire while a run is under way (a clock that jumps
                // ahead) then fold into one next tick instead of one run each.
                await Task.Yield();
                var result = await RunOnceAsync(stoppingToken);
                Interlocked.Exchange(ref next, new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(result);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task<TResult> RunOnceAsync(CancellationToken stoppingToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            return await RunAsync(scope.ServiceProvider, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A failed run must not stop the host; the next tick runs it again.
        catch (Exception e)
#pragma warning restore CA1031
        {
            PeriodicJobLog.Failed(logger, Name, e.GetType().Name, Interval ?? TimeSpan.Zero);
            return Failed;
        }
    }
}

internal static partial class PeriodicJobLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "{Job} failed ({ErrorType}); the next run is in {Interval}")]
    public static partial void Failed(ILogger logger, string job, string errorType, TimeSpan interval);
}
