using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using Konzen.Privacy.Controller;
using Konzen.Privacy.Host.Serve;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Host.Controller;

/// <summary>
/// `konzen controller transfer --to NAME [--effective DATE]` (S5.5): records the new controller,
/// bound to the policy in force, and queues the notice to every subject; the running service's
/// dispatcher sends it. The operator acts as <c>staff:cli</c>; settings such as <c>--Storage:Database=…</c> pass through.
/// </summary>
internal static class ControllerCommands
{
    private const string Actor = "staff:cli";

    public static Command Create()
    {
        var controller = new Command("controller", "The company responsible for the personal information (the controller).");
        var to = new Option<string>("--to") { Description = "The new controller's name, as subjects will read it.", Required = true };
        var effective = new Option<DateOnly?>("--effective") { Description = "The day (yyyy-MM-dd, UTC) the new controller takes over; defaults to now." };
        var transfer = new Command(
            "transfer",
            "Record that NAME takes over as controller under the same policy, and notify every subject (in-app, and by email or SMS) in their language. " +
            "Exits 0 when recorded, 1 when refused or the stores cannot be used.") { to, effective };
        var stores = new StoreOptions();
        stores.AddTo(transfer);
        transfer.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration;
            try
            {
                using var host = await VerbServices.StartAsync(stores.Settings(parseResult), cancellationToken);
                ControllerTransferResult result;
                await using (var scope = host.Services.CreateAsyncScope())
                {
                    var at = parseResult.GetValue(effective) is { } day ? new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : (DateTimeOffset?)null;
                    result = await scope.ServiceProvider.GetRequiredService<ControllerTransfers>().TransferAsync(parseResult.GetValue(to)!, at, Actor, cancellationToken);
                }

                await host.StopAsync(cancellationToken);
                switch (result.Refusal)
                {
                    case ControllerTransferRefusal.None:
                        var t = result.Transfer!;
                        await output.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                            $"controller transferred from {t.From} to {t.To}, effective {t.EffectiveAt:u}; bound to policy {t.PolicyVersion} ({t.PolicyHash}); notice queued for {t.Notified} subjects"));
                        return 0;
                    case ControllerTransferRefusal.SameController:
                        await output.Error.WriteLineAsync("konzen: that is the current controller already; nothing was recorded.");
                        return 1;
                    case ControllerTransferRefusal.EffectiveTooEarly:
                        await output.Error.WriteLineAsync("konzen: the effective date lies before the last transfer's; nothing was recorded.");
                        return 1;
                    default:
                        await output.Error.WriteLineAsync($"konzen: a controller name is 1 to {ControllerTransfers.MaxNameLength} characters without line breaks; nothing was recorded.");
                        return 1;
                }
            }
            catch (Exception e) when (e is DbException or PolicyLoadException or OptionsValidationException or StorageUnavailableException)
            {
                await output.Error.WriteLineAsync($"konzen: cannot record the transfer: {e.Message}");
                return 1;
            }
        });
        controller.Subcommands.Add(transfer);
        return controller;
    }
}
