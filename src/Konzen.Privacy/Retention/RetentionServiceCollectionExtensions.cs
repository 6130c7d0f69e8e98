using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Retention;

internal static class RetentionServiceCollectionExtensions
{
    /// <summary>The sweep, its background host and its options; each feature registers its own <see cref="IRetentionTarget"/>.</summary>
    public static IServiceCollection AddRetention(this IServiceCollection services)
    {
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<RetentionSweep>();
        services.AddSingleton<RetentionSweeper>();
        services.AddHostedService(provider => provider.GetRequiredService<RetentionSweeper>());
        return services;
    }
}
