using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using Konzen.Privacy.Host.Serve;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Retention;
using Konzen.Privacy.Storage;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Host.Retention;

/// <summary>
/// `konzen retention run`: one retention sweep now, as the background sweep does it, printing per
/// category what it removed. Settings such as <c>--Storage:Database=…</c> pass through.
/// </summary>
internal static class RetentionCommands
{
    public static Command Create()
    {
        var retention = new Command("retention", "Delete or anonymize what is past the retention the policy gives it.");
        var run = new Command(
            "run",
            "Run one retention sweep now and print per category how many rows it deleted and anonymized. " +
            "Exits 0 when it ran or another node was sweeping, 1 when it could not run.");
        var stores = new StoreOptions();
        stores.AddTo(run);
        run.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration;
            try
            {
                using var host = await VerbServices.StartAsync(stores.Settings(parseResult), cancellationToken);
                RetentionSweepResult result;
                await using (var scope = host.Services.CreateAsyncScope())
                {
                    result = await scope.ServiceProvider.GetRequiredService<RetentionSweep>().RunAsync("staff:cli", cancellationToken);
                }

                await host.StopAsync(cancellationToken);
                if (result.Outcome == RetentionSweepOutcome.Skipped)
                {
                    await output.Output.WriteLineAsync("retention sweep skipped: another node is sweeping this store now");
                    return 0;
                }

                await output.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"retention sweep {result.SweepId} on {result.Node} at {result.StartedAt:u}"));
                foreach (var count in result.Counts)
                {
                    await output.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"  {count.Category}: deleted {count.Deleted}, anonymized {count.Anonymized}"));
                }

                return 0;
            }
            catch (Exception e) when (e is DbException or PolicyLoadException or OptionsValidationException or StorageUnavailableException)
            {
                await output.Error.WriteLineAsync($"konzen: the retention sweep failed: {e.Message}");
                return 1;
            }
        });
        retention.Subcommands.Add(run);
        return retention;
    }
}
