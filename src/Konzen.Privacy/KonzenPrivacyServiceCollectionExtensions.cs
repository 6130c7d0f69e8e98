using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Retention;
using Konzen.Privacy.Sharing;
using Konzen.Privacy.Staff;
using Konzen.Privacy.Residency;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy;

public static class KonzenPrivacyServiceCollectionExtensions
{
    /// <summary>Registers the policy and everything that enforces it.</summary>
    public static IServiceCollection AddKonzenPrivacy(this IServiceCollection services)
    {
        services.AddLogging();
        services.AddOptions<PolicyOptions>().BindConfiguration(PolicyOptions.Section);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<Policy.Versions.PolicyVersions>();

        // Transient, so that every scoped service gets the version in force when its scope resolves it:
        // the switch at a version's effective date needs no restart (S7.1).
        services.AddTransient(provider => provider.GetRequiredService<Policy.Versions.PolicyVersions>().Current.Policy);
        services.ResolveAtStart<CompiledPolicy>();

        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section)
            .ValidateDataAnnotations()
            .Validate(
                o => o.KeyStore is not null || o.Database is null || DatabaseConnection.ProviderOf(o.Database) == DatabaseProvider.Sqlite,
                "Storage:KeyStore must name a separate database when Storage:Database is PostgreSQL, so that the data store never holds its own keys.")
            .ValidateOnStart();
        services.AddDbContext<PrivacyDbContext>((provider, db) =>
            db.Use(provider.GetRequiredService<IOptions<StorageOptions>>().Value.DatabaseConnectionString)
                .AddInterceptors(provider.GetRequiredService<ResidencyInterceptor>()));
        services.AddDbContext<KeyStoreDbContext>((provider, db) =>
            db.Use(provider.GetRequiredService<IOptions<StorageOptions>>().Value.KeyStoreConnectionString));
        services.AddHostedService<StorageStartup>();
        services.AddDataProtection().SetApplicationName("konzen").PersistKeysToDbContext<KeyStoreDbContext>();
        services.AddSingleton<AuditLog>();

        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<EmailSender>();

        services.AddOptions<VaultOptions>().BindConfiguration(VaultOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<MasterKeyRing>();
        services.AddSingleton<BlindIndex>();
        services.AddSingleton<SubjectKeyCache>();
        services.AddScoped<SubjectKeys>();
        services.AddScoped<PersonalDataVault>();
        services.AddScoped<Collection.LocationIntake>();
        services.AddScoped<Retention.IRetentionTarget, Collection.LocationRetention>();
        services.AddKonzenEvents();
        services.ResolveAtStart<MasterKeyRing>();
        services.ResolveAtStart<BlindIndex>();

        services.AddSubjects();
        services.AddKonzenConsent();
        services.AddRetention();
        services.AddScoped<StaffDirectory>();
        services.AddKonzenResidency();
        Rights.RequestsServiceCollectionExtensions.AddRequests(services);
        services.AddScoped<Rights.DataExport>();
        services.AddScoped<Rights.Cancellations>();
        services.AddScoped<Rights.Deletions>();
        services.AddScoped<Rights.Corrections>();
        services.AddScoped<Retention.IRetentionTarget, Rights.CancellationCompleter>();
        services.AddNotifications();
        services.AddScoped<SubjectAges>();
        services.AddScoped<Controller.ControllerTransfers>();
        services.AddOptions<Sharing.AdOptions>().BindConfiguration(Sharing.AdOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Sharing.AdSegmentCache>();
        services.AddScoped<Sharing.AdDecisions>();
        services.AddSharing();
        Sharing.DeidentificationServiceCollectionExtensions.AddDeidentification(services);
        Cessation.CessationServiceCollectionExtensions.AddCessation(services);
        services.AddOptions<Incidents.IncidentOptions>().BindConfiguration(Incidents.IncidentOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<Incidents.SecurityIncidents>();
        Policy.Versions.PolicyVersionsServiceCollectionExtensions.AddPolicyVersions(services);
        return services;
    }
}

/// <summary>
/// Builds a singleton while the host starts, so that whatever it checks when built (a policy file,
/// a key file) stops start-up with its error instead of failing the first request that needs it.
/// </summary>
internal sealed class ResolveAtStart<TService>(TService service) : IHostedService
    where TService : class
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(service);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

internal static class ResolveAtStartExtensions
{
    public static IServiceCollection ResolveAtStart<TService>(this IServiceCollection services)
        where TService : class => services.AddHostedService<ResolveAtStart<TService>>();
}
