using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Rights;

internal static class RequestsServiceCollectionExtensions
{
    /// <summary>Requests and complaints: the calendar (loaded and checked at start), the service, the escalation and its background host.</summary>
    public static IServiceCollection AddRequests(this IServiceCollection services)
    {
        services.AddOptions<RequestOptions>().BindConfiguration(RequestOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.CalendarFolder is null || Directory.Exists(o.CalendarFolder), "Requests:CalendarFolder must name an existing folder.")
            .ValidateOnStart();
        services.AddSingleton(provider => WorkingDayCalendar.Load(provider.GetRequiredService<IOptions<RequestOptions>>().Value.CalendarFolder));
        services.ResolveAtStart<WorkingDayCalendar>();
        services.AddSingleton<RequestsKey>();
        services.ResolveAtStart<RequestsKey>();
        services.AddScoped<PrivacyRequests>();
        services.AddScoped<RequestEscalation>();
        services.AddSingleton<RequestEscalator>();
        services.AddHostedService(provider => provider.GetRequiredService<RequestEscalator>());
        return services;
    }
}
