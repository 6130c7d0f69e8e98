using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Rights;

/// <summary>
/// Runs a <see cref="RequestEscalation"/> every <see cref="RequestOptions.EscalationInterval"/> in a scope
/// of its own; the first run one interval after start. A failed run is logged (its error's type only)
/// and the next tick tries again.
/// </summary>
internal sealed partial class RequestEscalator(
    IServiceScopeFactory scopes,
    IOptions<RequestOptions> options,
    TimeProvider time,
    ILogger<RequestEscalator> logger) : BackgroundService
{
    private PeriodicTimer? timer;
    private TaskCompletionSource<EscalationResult?> next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the result of the next run (null when it failed); tests wait on it instead of sleeping.</summary>
    internal Task<EscalationResult?> NextRun => Volatile.Read(ref next).Task;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.EscalationEnabled)
        {
            timer = new PeriodicTimer(options.Value.EscalationInterval, time);
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
                await Task.Yield();
                var result = await RunOnceAsync(stoppingToken);
                Interlocked.Exchange(ref next, new TaskCompletionSource<EscalationResult?>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(result);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task<EscalationResult?> RunOnceAsync(CancellationToken stoppingToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<RequestEscalation>().RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A failed run must not stop the host; the next tick runs it again.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogFailed(logger, e.GetType().Name);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Request escalation failed ({ErrorType}); the next run tries again")]
    private static partial void LogFailed(ILogger logger, string errorType);
}
