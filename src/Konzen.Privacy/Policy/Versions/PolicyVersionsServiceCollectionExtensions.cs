using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Policy.Versions;

internal static class PolicyVersionsServiceCollectionExtensions
{
    /// <summary>Publishing, and the start-up and periodic reading of the stored versions.</summary>
    public static IServiceCollection AddPolicyVersions(this IServiceCollection services)
    {
        services.AddOptions<PolicyVersionsOptions>().BindConfiguration(PolicyVersionsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<PolicyPublisher>();

        // After the storage start-up (registered before), which migrates the store these read.
        services.AddHostedService<PolicyVersionsStartup>();
        services.AddSingleton<PolicyVersionsRefresher>();
        services.AddHostedService(provider => provider.GetRequiredService<PolicyVersionsRefresher>());
        return services;
    }
}
