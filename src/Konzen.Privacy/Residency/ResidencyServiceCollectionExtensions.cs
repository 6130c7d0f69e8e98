using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Residency;

internal static class ResidencyServiceCollectionExtensions
{
    /// <summary>The deployment's and store's regions, the write guard and its SaveChanges backstop, and the transfer gate.</summary>
    public static IServiceCollection AddKonzenResidency(this IServiceCollection services)
    {
        services.AddOptions<ResidencyOptions>().BindConfiguration(ResidencyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ResidencyOptions>, ResidencyOptionsValidator>();
        services.AddSingleton<ResidencyGuard>();
        services.AddSingleton<SubjectRegions>();
        services.AddSingleton<ResidencyInterceptor>();
        // Scoped: a new policy version may declare a transfer, and its notice must be shown from its effective date.
        services.AddScoped<TransferNotices>();
        services.AddScoped<TransferGate>();
        return services;
    }
}
