using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Cessation;

/// <summary>Runs <see cref="Cessations.RunAsync"/> as <c>system</c> every <see cref="CessationOptions.Interval"/>: it acts once the announced day has come.</summary>
internal sealed class CessationJob(
    IServiceScopeFactory scopes,
    IOptions<CessationOptions> options,
    TimeProvider time,
    ILogger<CessationJob> logger) : PeriodicJob<CessationRunOutcome?>(scopes, time, logger)
{
    protected override string Name => "Service cessation";

    protected override TimeSpan? Interval => options.Value.Enabled ? options.Value.Interval : null;

    protected override CessationRunOutcome? Failed => null;

    protected override async Task<CessationRunOutcome?> RunAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        (await services.GetRequiredService<Cessations>().RunAsync("system", cancellationToken)).Outcome;
}

internal static class CessationServiceCollectionExtensions
{
    /// <summary>The announced end of the service, what ends it, and the job that does so on its day.</summary>
    public static IServiceCollection AddCessation(this IServiceCollection services)
    {
        services.AddOptions<CessationOptions>().BindConfiguration(CessationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ServiceCessation>();
        services.AddScoped<Cessations>();
        services.AddSingleton<CessationJob>();
        services.AddHostedService(provider => provider.GetRequiredService<CessationJob>());
        return services;
    }
}
