using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Sharing;

internal static class SharingServiceCollectionExtensions
{
    /// <summary>Recipients, the disclosure gate and everything it checks against.</summary>
    public static IServiceCollection AddSharing(this IServiceCollection services)
    {
        services.AddScoped<Recipients>();
        services.AddScoped<IdentifyingAuthorizations>();
        services.AddScoped<PublicDisclosures>();
        services.AddScoped<LegalRequests>();
        services.AddScoped<DisclosureGate>();
        services.AddScoped<DisclosedData>();
        services.AddScoped<DeletionNotices>();
        return services;
    }
}
