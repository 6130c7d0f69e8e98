using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Konzen.Privacy.Subjects;

internal static class SubjectsServiceCollectionExtensions
{
    /// <summary>Registration, login and the default SMS sender (the outbox); a host may register its own <see cref="ISmsSender"/> first.</summary>
    public static IServiceCollection AddSubjects(this IServiceCollection services)
    {
        services.AddOptions<SubjectsOptions>().BindConfiguration(SubjectsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SubjectSecrets>();
        services.AddScoped<SmsOutbox>();
        services.TryAddScoped<ISmsSender>(provider => provider.GetRequiredService<SmsOutbox>());
        services.AddScoped<SubjectRegistration>();
        services.AddScoped<Login>();
        services.AddOptions<GuardianOptions>().BindConfiguration(GuardianOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<MinorTraits>();
        services.AddScoped<Guardians>();
        services.AddScoped<Retention.IRetentionTarget, RegistrationRetention>();
        return services;
    }
}
