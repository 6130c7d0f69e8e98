using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using Konzen.Privacy.Host.Serve;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Staff;
using Konzen.Privacy.Storage;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Host.Staff;

/// <summary>
/// `konzen staff add NAME | list | disable NAME`: the staff who may call the admin endpoints. The
/// operator at the command line acts as <c>staff:cli</c>; settings such as <c>--Storage:Database=…</c> pass through.
/// </summary>
internal static class StaffCommands
{
    private const string Actor = "staff:cli";

    public static Command Create()
    {
        var staff = new Command("staff", "Staff members and their tokens for the admin endpoints.");
        staff.Subcommands.Add(Add());
        staff.Subcommands.Add(List());
        staff.Subcommands.Add(Disable());
        return staff;
    }

    private static Command Add()
    {
        var name = new Argument<string>("NAME") { Description = "Lower-case letters, digits, '.', '-' and '_' (at most 64); audit entries name the member staff:NAME." };
        var command = new Command("add", "Add a staff member and print their bearer token on standard output. It is shown only this once: only its hash is kept.") { name };
        return WithStores(command, async (parseResult, directory, output, cancellationToken) =>
        {
            var added = await directory.AddAsync(parseResult.GetValue(name)!, Actor, cancellationToken);
            switch (added.Refusal)
            {
                case StaffRefusal.InvalidName:
                    await output.Error.WriteLineAsync("konzen: a staff name is 1 to 64 lower-case letters, digits, '.', '-' or '_', starting with a letter or digit.");
                    return 1;
                case StaffRefusal.NameTaken:
                    await output.Error.WriteLineAsync($"konzen: there is already a staff member named {parseResult.GetValue(name)}.");
                    return 1;
                default:
                    await output.Output.WriteLineAsync(added.Token);
                    await output.Error.WriteLineAsync($"konzen: added staff member {added.Member!.Name}; the token above is shown only once, keep it now.");
                    return 0;
            }
        });
    }

    private static Command List()
    {
        var command = new Command("list", "List the staff members: name, when added, and whether their token works.");
        return WithStores(command, async (_, directory, output, cancellationToken) =>
        {
            foreach (var member in await directory.ListAsync(cancellationToken))
            {
                var state = member.DisabledAt is { } disabled ? $"disabled {Time(disabled)}" : "enabled";
                await output.Output.WriteLineAsync($"{member.Name}  added {Time(member.CreatedAt)}  {state}");
            }

            return 0;
        });
    }

    private static Command Disable()
    {
        var name = new Argument<string>("NAME") { Description = "The staff member whose token stops working." };
        var command = new Command("disable", "Stop a staff member's token from working.") { name };
        return WithStores(command, async (parseResult, directory, output, cancellationToken) =>
        {
            if (await directory.DisableAsync(parseResult.GetValue(name)!, Actor, cancellationToken) == StaffRefusal.UnknownMember)
            {
                await output.Error.WriteLineAsync("konzen: there is no staff member of that name.");
                return 1;
            }

            await output.Output.WriteLineAsync($"disabled staff member {parseResult.GetValue(name)}");
            return 0;
        });
    }

    private static Command WithStores(Command command, Func<ParseResult, StaffDirectory, InvocationConfiguration, CancellationToken, Task<int>> action)
    {
        var stores = new StoreOptions();
        stores.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration;
            try
            {
                using var host = await VerbServices.StartAsync(stores.Settings(parseResult), cancellationToken);
                int exit;
                await using (var scope = host.Services.CreateAsyncScope())
                {
                    exit = await action(parseResult, scope.ServiceProvider.GetRequiredService<StaffDirectory>(), output, cancellationToken);
                }

                await host.StopAsync(cancellationToken);
                return exit;
            }
            catch (Exception e) when (e is DbException or PolicyLoadException or OptionsValidationException or StorageUnavailableException)
            {
                await output.Error.WriteLineAsync($"konzen: cannot change the staff list: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static string Time(DateTimeOffset time) => time.ToString("u", CultureInfo.InvariantCulture);
}
