using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Host.Serve;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Host.Subjects;

/// <summary>
/// `konzen sms outbox`: the administrator reads the text messages waiting in the outbox (the
/// default SMS sender has no gateway). Settings such as <c>--Storage:Database=…</c> pass through.
/// </summary>
internal static class SubjectsCommands
{
    public static Command Create()
    {
        var sms = new Command("sms", "Text messages sent by the service.");
        var limit = new Option<int>("--limit") { Description = "How many of the newest messages to show.", DefaultValueFactory = _ => 20 };
        var outbox = new Command("outbox", "Show the newest messages in the SMS outbox, decrypted, newest first. The read is audited.") { limit };
        var stores = new StoreOptions();
        stores.AddTo(outbox);
        outbox.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration;
            try
            {
                using var host = await VerbServices.StartAsync(stores.Settings(parseResult), cancellationToken);
                await using var scope = host.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
                var messages = await SmsOutbox.ReadAsync(db, scope.ServiceProvider.GetRequiredService<SubjectSecrets>(), parseResult.GetValue(limit), cancellationToken);

                // Reading the outbox shows personal data to a person: it goes on the record first.
                await scope.ServiceProvider.GetRequiredService<AuditLog>().SaveChangesAsync(
                    db, new AuditRecord("staff:cli", "sms-outbox.read", Detail: $"messages: {messages.Count.ToString(CultureInfo.InvariantCulture)}"), cancellationToken);
                foreach (var message in messages)
                {
                    await output.Output.WriteLineAsync($"{message.CreatedAt.ToString("u", CultureInfo.InvariantCulture)}  {message.To}  {message.Text}");
                }

                await host.StopAsync(cancellationToken);
                return 0;
            }
            catch (Exception e) when (e is DbException or PolicyLoadException or OptionsValidationException or StorageUnavailableException or SubjectsKeyException or VaultKeyException)
            {
                await output.Error.WriteLineAsync($"konzen: cannot read the SMS outbox: {e.Message}");
                return 1;
            }
        });
        sms.Subcommands.Add(outbox);
        return sms;
    }
}
