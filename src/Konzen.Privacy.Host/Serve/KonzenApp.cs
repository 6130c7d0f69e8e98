using System.Text.Json;
using System.Text.Json.Serialization;
using Konzen.Privacy.Host.Collection;
using Konzen.Privacy.Host.Consent;
using Konzen.Privacy.Host.Controller;
using Konzen.Privacy.Host.Home;
using Konzen.Privacy.Host.Notices;
using Konzen.Privacy.Host.Policy;
using Konzen.Privacy.Host.Retention;
using Konzen.Privacy.Host.Rights;
using Konzen.Privacy.Host.Sharing;
using Konzen.Privacy.Host.Cessation;
using Konzen.Privacy.Host.Incidents;
using Konzen.Privacy.Host.Staff;
using Konzen.Privacy.Host.Residency;
using Konzen.Privacy.Host.Subjects;

namespace Konzen.Privacy.Host.Serve;

/// <summary>The web service: what it registers and which endpoints it maps, in order.</summary>
internal static class KonzenApp
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(Options(args));
        builder.Services.AddKonzenPrivacy();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<RegionMismatchHandler>();
        builder.Services.ConfigureHttpJsonOptions(json =>
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower)));
        builder.Services.AddOpenApi();
        builder.Services.AddHealthChecks();
        builder.Services.AddSingleton<RenderedPolicies>();
        builder.AddRequestLimits();
        builder.Services.AddSubjectsAuthentication();
        builder.Services.AddStaffAuthentication();
        builder.Services.AddReauthentication();

        var app = builder.Build();

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRequestLimits();

        // The client SDK and the demo page (wwwroot); before authentication, which static files never need.
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UsePolicyAcceptance();

        app.MapHomeEndpoints();
        app.MapPolicyEndpoints();
        app.MapPolicyChangesEndpoints();
        app.MapConsentEndpoints();
        app.MapVisitorConsentEndpoints();
        app.MapSubjectsEndpoints();
        app.MapGuardianEndpoints();
        app.MapCollectionEndpoints();
        app.MapRetentionEndpoints();
        app.MapResidencyEndpoints();
        app.MapEventsEndpoints();
        app.MapRequestsEndpoints();
        app.MapReauthenticationEndpoints();
        app.MapExportEndpoints();
        app.MapCancellationEndpoints();
        app.MapDeletionEndpoints();
        app.MapCorrectionEndpoints();
        app.MapNotificationsEndpoints();
        app.MapSurveysEndpoints();
        app.MapControllerEndpoints();
        app.MapAdEndpoints();
        app.MapSharingEndpoints();
        app.MapDatasetEndpoints();
        app.MapIncidentsEndpoints();
        app.MapCessationEndpoints();
        app.MapHealthChecks("/healthz");
        app.MapOpenApi();
        return app;
    }

    /// <summary>Where the settings come from; the verbs that work on the stores read them the same way.</summary>
    public static WebApplicationOptions Options(string[] args) => new()
    {
        // appsettings.json ships beside the executable; read it from there whatever the working
        // directory (relative paths such as the data folder still resolve against the working directory).
        Args = args,
        ContentRootPath = args.Any(a => a.StartsWith("--contentRoot", StringComparison.OrdinalIgnoreCase)) ? null : AppContext.BaseDirectory,
    };
}
