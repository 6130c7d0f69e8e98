using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Notices;

internal static class NotificationsServiceCollectionExtensions
{
    /// <summary>The outbox, survey invitations, its dispatcher (a background job on every node, one at a time on PostgreSQL) and their options.</summary>
    public static IServiceCollection AddNotifications(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<NotificationOutbox>();
        services.AddScoped<NotificationDispatch>();
        services.AddScoped<SurveyInvitations>();
        services.AddSingleton<NotificationDispatcher>();
        services.AddHostedService(provider => provider.GetRequiredService<NotificationDispatcher>());
        return services;
    }
}
