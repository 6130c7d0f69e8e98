using System.CommandLine;
using Konzen.Privacy.Host.Serve;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Host.Vault;

/// <summary>`konzen keys rotate`: rewraps every subject key under a new master key; exit 0 with a summary, 1 with the error on stderr.</summary>
internal static class KeysCommands
{
    public static Command Create()
    {
        var keys = new Command("keys", "Manage the keys that protect personal data.");
        keys.Subcommands.Add(Rotate());
        return keys;
    }

    private static Command Rotate()
    {
        var stores = new StoreOptions();
        var command = new Command(
            "rotate",
            "Rewrap every subject key under a new master key (--master-key-file names the one to rotate), without touching the personal data. Stop the other nodes first; restart them afterwards.");
        stores.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration;
            try
            {
                using var host = await VerbServices.StartAsync(stores.Settings(parseResult), cancellationToken);
                KeyRotation rotation;
                await using (var scope = host.Services.CreateAsyncScope())
                {
                    rotation = await scope.ServiceProvider.GetRequiredService<SubjectKeys>()
                        .RotateMasterKeyAsync(scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), "system", cancellationToken);
                }

                await host.StopAsync(cancellationToken);
                await output.Output.WriteLineAsync($"rewrapped {rotation.Rewrapped} subject keys under master key {rotation.MasterKeyId}");
                return 0;
            }
            catch (Exception e) when (e is PolicyLoadException or OptionsValidationException or StorageUnavailableException or VaultKeyException or VaultIntegrityException)
            {
                await output.Error.WriteLineAsync($"konzen: keys rotate: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
