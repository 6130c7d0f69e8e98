using Konzen.Privacy.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Policy.Versions;

/// <summary>
/// At start-up, before the host serves, stores the configured policy as version 1 when the store has
/// no version yet and reads the stored versions: a request must never be decided by another version
/// than the one in force.
/// </summary>
internal sealed partial class PolicyVersionsStartup(IServiceScopeFactory scopes, PolicyVersions versions, ILogger<PolicyVersionsStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<PolicyPublisher>().EnsureFirstVersionAsync(cancellationToken);
        if (versions.WithHash(versions.Configured.Version.ContentHash) is null)
        {
            ConfiguredNotStored(logger, versions.Configured.Version.Number);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The configured policy file (version {Number}) is not a stored version; the stored versions are enforced. Publish it with `konzen policy publish`.")]
    private static partial void ConfiguredNotStored(ILogger logger, string number);
}

/// <summary>Reads versions published on other nodes every <see cref="PolicyVersionsOptions.RefreshInterval"/>.</summary>
internal sealed class PolicyVersionsRefresher(
    IServiceScopeFactory scopes,
    PolicyVersions versions,
    IOptions<PolicyVersionsOptions> options,
    TimeProvider time,
    ILogger<PolicyVersionsRefresher> logger) : PeriodicJob<int>(scopes, time, logger)
{
    protected override string Name => "Policy versions refresh";

    protected override TimeSpan? Interval => options.Value.RefreshInterval;

    protected override int Failed => -1;

    protected override async Task<int> RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await versions.RefreshAsync(services.GetRequiredService<PrivacyDbContext>(), cancellationToken);
        return versions.All.Count;
    }
}
