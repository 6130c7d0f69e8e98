using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Sharing;

internal static class DeidentificationServiceCollectionExtensions
{
    /// <summary>De-identified advertiser datasets, per-recipient pseudonyms and aggregate measurement.</summary>
    public static IServiceCollection AddDeidentification(this IServiceCollection services)
    {
        services.AddOptions<DeidentificationOptions>().BindConfiguration(DeidentificationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RecipientPseudonyms>();
        services.AddScoped<AdvertisingPopulation>();
        services.AddScoped<AdvertiserDatasets>();
        services.AddScoped<AdMeasurement>();
        return services;
    }
}
