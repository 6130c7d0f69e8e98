using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

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
        services.AddScoped<ConsentLedger>();
        services.AddHostedService<ConsentKeysStartup>();
        services.AddSingleton<ConsentChangeListener>();
        services.AddHostedService(provider => provider.GetRequiredService<ConsentChangeListener>());
        return services;
    }
}

/// <summary>Creates or loads the receipt and evidence keys at start-up, so a bad key file stops the start.</summary>
internal sealed class ConsentKeysStartup(ReceiptSigner signer, EvidenceHasher evidence) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(signer);
        GC.KeepAlive(evidence);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
