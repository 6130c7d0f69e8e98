using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using Konzen.Privacy.Cessation;
using Konzen.Privacy.Host.Serve;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Host.Cessation;

/// <summary>
/// `konzen cease --date DATE` announces the end of the service (S2.5); `konzen cease --run` runs the end
/// now when its day has come, as the background job does, and prints the cessation report. The operator
/// acts as <c>staff:cli</c>; settings such as <c>--Storage:Database=…</c> pass through.
/// </summary>
internal static class CessationCommands
{
    private const string Actor = "staff:cli";

    public static Command Create()
    {
        var date = new Option<DateOnly?>("--date") { Description = "The day (yyyy-MM-dd, UTC) the service stops; today or later." };
        var run = new Option<bool>("--run") { Description = "End the service now if its day has come: destroy every key, delete the personal data, print the report." };
        var cease = new Command(
            "cease",
            "Announce the end of the service (--date): registration and optional collection stop at once and every subject is notified. " +
            "With --run, end it once the day has come. Exits 0 when done (or not yet due), 1 when refused or the stores cannot be used.") { date, run };
        var stores = new StoreOptions();
        stores.AddTo(cease);
        cease.Validators.Add(result =>
        {
            if ((result.GetValue(date) is null) == !result.GetValue(run))
            {
                result.AddError("Give either --date yyyy-MM-dd or --run.");
            }
        });
        cease.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration;
            try
            {
                using var host = await VerbServices.StartAsync(stores.Settings(parseResult), cancellationToken);
                int exit;
                await using (var scope = host.Services.CreateAsyncScope())
                {
                    var cessations = scope.ServiceProvider.GetRequiredService<Cessations>();
                    exit = parseResult.GetValue(date) is { } day
                        ? await AnnounceAsync(cessations, day, output, cancellationToken)
                        : await RunAsync(cessations, output, cancellationToken);
                }

                await host.StopAsync(cancellationToken);
                return exit;
            }
            catch (Exception e) when (e is DbException or PolicyLoadException or OptionsValidationException or StorageUnavailableException)
            {
                await output.Error.WriteLineAsync($"konzen: cannot end the service: {e.Message}");
                return 1;
            }
        });
        return cease;
    }

    private static async Task<int> AnnounceAsync(Cessations cessations, DateOnly day, InvocationConfiguration output, CancellationToken cancellationToken)
    {
        var result = await cessations.AnnounceAsync(day, Actor, cancellationToken);
        switch (result.Refusal)
        {
            case CessationRefusal.None:
                var state = result.State!;
                await output.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"service cessation announced: the service stops {state.CeaseAt:yyyy-MM-dd}, everything is deleted by {state.DeletionDueAt:yyyy-MM-dd}; registration and optional collection stopped; notice queued for {result.Notified} subjects"));
                return 0;
            case CessationRefusal.AlreadyAnnounced:
                await output.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"konzen: the end of the service is announced already (it stops {result.State!.CeaseAt:yyyy-MM-dd}); nothing was recorded."));
                return 1;
            default:
                await output.Error.WriteLineAsync("konzen: the day lies in the past; nothing was recorded.");
                return 1;
        }
    }

    private static async Task<int> RunAsync(Cessations cessations, InvocationConfiguration output, CancellationToken cancellationToken)
    {
        var run = await cessations.RunAsync(Actor, cancellationToken);
        switch (run.Outcome)
        {
            case CessationRunOutcome.NotAnnounced:
                await output.Error.WriteLineAsync("konzen: no end of the service is announced; announce it with --date first.");
                return 1;
            case CessationRunOutcome.NotDue:
                await output.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"service cessation not due until {run.State!.CeaseAt:yyyy-MM-dd}; nothing was done"));
                return 0;
            case CessationRunOutcome.InProgress:
                await output.Output.WriteLineAsync("service cessation is running on another node now");
                return 0;
        }

        var r = run.Report!;
        await output.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"service ceased {r.CompletedAt:u} ({(r.WithinDeadline ? "within" : "AFTER")} the deadline {r.DeletionDueAt:yyyy-MM-dd}) in {r.Seconds:F1} s{(run.Outcome == CessationRunOutcome.AlreadyCompleted ? " (an earlier run)" : string.Empty)}"));
        await output.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"  subjects: {r.Subjects}; notified: {r.SubjectsNotified}; keys destroyed: {r.KeysDestroyed} subject, {r.PeriodKeysDestroyed} period, {r.RecipientKeysDestroyed} recipient"));
        foreach (var (table, rows) in r.RowsDeleted)
        {
            await output.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  deleted {table}: {rows}"));
        }

        foreach (var (table, rows) in r.RowsAnonymized)
        {
            await output.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  kept anonymized {table}: {rows}"));
        }

        return 0;
    }
}
