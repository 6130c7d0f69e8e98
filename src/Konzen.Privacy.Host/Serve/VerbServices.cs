using System.CommandLine;

namespace Konzen.Privacy.Host.Serve;

/// <summary>
/// The library's services for a verb that works on the stores: settings read exactly as
/// <c>konzen serve</c> reads them (appsettings.json beside the executable, environment,
/// <c>--Storage:Database=…</c> and the other command-line settings, <c>--database</c>), never a web
/// server. <see cref="Build"/> runs no start-up work (a checker such as <c>konzen audit verify</c>
/// must not create or migrate the store it inspects); <see cref="StartAsync"/> runs the service's
/// start-up checks and migrations first (a verb that changes the stores, such as <c>konzen keys rotate</c>).
/// </summary>
internal static class VerbServices
{
    /// <summary>The same option as <c>konzen serve --database</c>.</summary>
    public static Option<string> DatabaseOption() => new("--database")
    {
        Description = "The data store: an SQLite connection string, or a PostgreSQL one (Host=…) or URL (postgres://…). Same as Storage:Database.",
    };

    /// <summary>The settings a verb was given: the tokens it did not parse, and <c>--database</c> as <c>Storage:Database</c>.</summary>
    public static string[] Settings(ParseResult parseResult, Option<string> database) =>
        parseResult.GetValue(database) is { } connection
            ? [.. parseResult.UnmatchedTokens, $"--Storage:Database={connection}"]
            : [.. parseResult.UnmatchedTokens];

    /// <summary>A provider with everything <c>AddKonzenPrivacy</c> registers; dispose it when done.</summary>
    public static ServiceProvider Build(string[] settings)
    {
        // The web builder is used only for its configuration, so that the sources and their order
        // cannot drift from the service's; it is never built into an application.
        var configuration = WebApplication.CreateBuilder(KonzenApp.Options(settings)).Configuration;
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(_ => configuration);
        services.AddKonzenPrivacy();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    /// <summary>A started host with everything <c>AddKonzenPrivacy</c> registers; stop and dispose it when done.</summary>
    public static async Task<IHost> StartAsync(string[] settings, CancellationToken cancellationToken)
    {
        var options = KonzenApp.Options(settings);
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = options.Args?.ToArray(),
            ContentRootPath = options.ContentRootPath,
        });
        // A verb reports on its own output; the host's start and stop messages would only be noise there.
        builder.Logging.ClearProviders();
        builder.Services.AddKonzenPrivacy();
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }
}
