using Konzen.Privacy.Retention;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Collection;

internal static class EventsServiceCollectionExtensions
{
    /// <summary>Log-event intake: pseudonym keys, the group-commit writer, the intake and its retention.</summary>
    public static IServiceCollection AddKonzenEvents(this IServiceCollection services)
    {
        services.AddOptions<EventOptions>().BindConfiguration(EventOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<EpochKeys>();
        services.AddSingleton<EventWriter>();
        services.AddScoped<EventIntake>();
        services.AddScoped<SubjectPseudonyms>();
        services.AddScoped<IRetentionTarget, EventRetention>();
        return services;
    }
}
