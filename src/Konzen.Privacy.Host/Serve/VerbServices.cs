using System.CommandLine;

namespace Konzen.Privacy.Host.Serve;

/// <summary>
/// The library's services for a verb that works on the stores (<c>konzen audit verify</c>): settings
/// read exactly as <c>konzen serve</c> reads them (appsettings.json beside the executable, environment,
/// <c>--Storage:Database=…</c> and the other command-line settings, <c>--database</c>), but no web
/// server is built and no start-up work runs (the stores are not created or migrated).
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
}
