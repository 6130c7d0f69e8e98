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

/// <summary>
/// The options of every verb that opens the stores (serve included), as shortcuts for configuration
/// keys; any other <c>--Section:Key=value</c> setting passes through unchanged.
/// </summary>
internal sealed class StoreOptions
{
    public Option<string> Database { get; } = new("--database")
    {
        Description = "The data store: an SQLite connection string, or a PostgreSQL one (Host=…) or URL (postgres://…). Same as Storage:Database.",
    };

    public Option<string> MasterKeyFile { get; } = new("--master-key-file")
    {
        Description = "The master key file. Same as Vault:MasterKeyFile; defaults to master.key in Storage:DataDirectory.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Database);
        command.Options.Add(MasterKeyFile);
        command.TreatUnmatchedTokensAsErrors = false;
    }

    /// <summary>The settings the command line gave: the tokens no option took, and each shortcut as its configuration key.</summary>
    public string[] Settings(ParseResult parseResult)
    {
        List<string> settings = [.. parseResult.UnmatchedTokens];
        if (parseResult.GetValue(Database) is { } database)
        {
            settings.Add($"--Storage:Database={database}");
        }

        if (parseResult.GetValue(MasterKeyFile) is { } masterKeyFile)
        {
            settings.Add($"--Vault:MasterKeyFile={masterKeyFile}");
        }

        return [.. settings];
    }
}
