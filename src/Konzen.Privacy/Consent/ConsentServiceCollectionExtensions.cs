using Konzen.Privacy.Retention;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Consent;

internal static class ConsentServiceCollectionExtensions
{
    /// <summary>The ledger, its receipts and the cache of consent states shared by every node.</summary>
    public static IServiceCollection AddKonzenConsent(this IServiceCollection services)
    {
        services.AddOptions<ConsentOptions>().BindConfiguration(ConsentOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<ReceiptSigner>();
        services.AddSingleton<EvidenceHasher>();
        services.AddSingleton<ConsentStateCache>();
        // Scoped: the purposes it refuses are bits of the version in force, which changes at an effective date.
        services.AddScoped<GlobalPrivacyControl>();
        services.AddScoped<PolicyAcceptances>();
        services.AddSingleton<PolicyAcceptanceMemo>();
        services.AddScoped<ConsentLedger>();
        services.AddScoped<IRetentionTarget, VisitorRetention>();
        services.ResolveAtStart<ReceiptSigner>();
        services.ResolveAtStart<EvidenceHasher>();
        services.AddSingleton<ConsentChangeListener>();
        services.AddHostedService(provider => provider.GetRequiredService<ConsentChangeListener>());
        return services;
    }
}
