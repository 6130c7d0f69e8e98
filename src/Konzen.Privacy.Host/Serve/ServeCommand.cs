using System.CommandLine;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Rights;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Host.Serve;

/// <summary>`konzen serve`, also what `konzen` alone does: runs the web service.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var serve = new Command("serve", "Run the service (the default when no verb is given). ASP.NET Core options such as --urls pass through.");
        Configure(serve);
        return serve;
    }

    /// <summary>Makes <paramref name="command"/> run the service, passing unknown tokens on to ASP.NET Core.</summary>
    public static void Configure(Command command)
    {
        var stores = new StoreOptions();
        stores.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            try
            {
                var app = KonzenApp.Build(stores.Settings(parseResult));
                await app.RunAsync(cancellationToken);
                return 0;
            }
            catch (Exception e) when (e is PolicyLoadException or OptionsValidationException or StorageUnavailableException or VaultKeyException or WorkingDayCalendarException)
            {
                // A bad configuration is the operator's to fix: say what is wrong, not where in our code it was found.
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"konzen: cannot start: {e.Message}");
                return 1;
            }
        });
    }
}
