using System.CommandLine;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Host.Serve;
using Konzen.Privacy.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Konzen.Privacy.Host.Audit;

/// <summary>
/// `konzen audit verify`: checks the audit log's hash chain in the configured data store. Exits 0
/// when it is intact, 1 naming the first broken entry, 2 when the store cannot be read.
/// </summary>
internal static class AuditCommands
{
    public static Command Create()
    {
        var audit = new Command("audit", "Check the tamper-evident audit log.");
        audit.Subcommands.Add(Verify());
        return audit;
    }

    private static Command Verify()
    {
        var stores = new StoreOptions();
        var command = new Command(
            "verify",
            "Check the audit log's hash chain in the data store (settings as for serve: --Storage:Database=…, --database). " +
            "Exits 0 when intact, 1 naming the first broken entry, 2 when the store cannot be read.");
        stores.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration;
            try
            {
                await using var services = VerbServices.Build(stores.Settings(parseResult));
                await using var scope = services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
                RefuseMissingFile(db);
                var result = await AuditVerifier.VerifyAsync(db, cancellationToken);
                if (result.Intact)
                {
                    await output.Output.WriteLineAsync($"audit chain intact: {result.EntriesChecked} entries");
                    return 0;
                }

                await output.Error.WriteLineAsync($"audit chain broken at entry {result.FirstBrokenSequence}: {result.Problem}");
                return 1;
            }
            catch (Exception e) when (e is OptionsValidationException or StorageUnavailableException || DatabaseError(e) is not null)
            {
                var reason = DatabaseError(e) is { } cause ? $"The data store cannot be read: {cause.Message}" : e.Message;
                await output.Error.WriteLineAsync($"konzen: cannot verify the audit log: {reason}");
                return 2;
            }
        });
        return command;
    }

    // Opening a missing SQLite file creates an empty one; a mistyped path must not pass as an empty,
    // intact log, nor leave a stray database behind.
    private static void RefuseMissingFile(PrivacyDbContext db)
    {
        if (!db.Database.IsSqlite())
        {
            return;
        }

        var file = new SqliteConnectionStringBuilder(db.Database.GetConnectionString());
        if (file.Mode != SqliteOpenMode.Memory && file.DataSource is not ("" or ":memory:") && !File.Exists(file.DataSource))
        {
            throw new StorageUnavailableException($"The data store {file.DataSource} does not exist.");
        }
    }

    private static Exception? DatabaseError(Exception e) => e switch
    {
        NpgsqlException or SqliteException => e,
        { InnerException: { } inner } => DatabaseError(inner),
        _ => null,
    };
}
