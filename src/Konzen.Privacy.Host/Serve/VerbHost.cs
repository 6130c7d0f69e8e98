namespace Konzen.Privacy.Host.Serve;

/// <summary>
/// The service's registrations and configuration for an admin verb, without the web server: the
/// same appsettings.json, environment variables and <c>--Section:Key=value</c> arguments, and the
/// same start-up checks and migrations, so a verb acts on exactly the stores the service uses.
/// </summary>
internal static class VerbHost
{
    public static async Task<IHost> StartAsync(string[] args, CancellationToken cancellationToken)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
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
