using Konzen.Privacy.Audit;
using Konzen.Privacy.Staff;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Host.Tests.Staff;

public sealed class StaffCommandsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S3.1")]
    public async Task StaffAdd_ThenList_PrintsTheTokenOnceAndListsTheMember(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        using var folder = new TempFolder();
        string[] settings = [$"--Storage:Database={store.DatabaseConnectionString}", $"--Storage:KeyStore={store.KeyStoreConnectionString}", $"--Storage:DataDirectory={folder.Path}"];

        var (exit, output, error) = await Cli.RunAsync(["staff", "add", "ana", .. settings]);
        var listed = await Cli.RunAsync(["staff", "list", .. settings]);

        Assert.Equal(0, exit);
        var token = output.TrimEnd('\n');
        Assert.Matches("^kzs_[A-Za-z0-9_-]{43}$", token);
        Assert.Contains("shown only once", error, StringComparison.Ordinal);
        Assert.Equal(0, listed.Exit);
        Assert.Matches(@"^ana  added \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ  enabled\n$", listed.Output);
        Assert.DoesNotContain(token, listed.Output, StringComparison.Ordinal);
        await using var db = store.NewDataContext();
        var entry = Assert.Single(await db.Set<AuditEntry>().ToListAsync(Cancel));
        Assert.Equal(("staff:cli", "staff.added", "staff:ana"), (entry.Actor, entry.Action, entry.Detail));
    }

    [Fact]
    public async Task StaffAdd_TakenOrInvalidName_ExitsOneAndAddsNothing()
    {
        await using var store = await TestStore.CreateAsync(DatabaseProvider.Sqlite, Cancel);
        using var folder = new TempFolder();
        string[] settings = [$"--Storage:Database={store.DatabaseConnectionString}", $"--Storage:KeyStore={store.KeyStoreConnectionString}", $"--Storage:DataDirectory={folder.Path}"];
        await Cli.RunAsync(["staff", "add", "ana", .. settings]);

        var taken = await Cli.RunAsync(["staff", "add", "ana", .. settings]);
        var invalid = await Cli.RunAsync(["staff", "add", "Ana Bo", .. settings]);

        Assert.Equal((1, "", "konzen: there is already a staff member named ana.\n"), taken);
        Assert.Equal((1, ""), (invalid.Exit, invalid.Output));
        Assert.StartsWith("konzen: a staff name is", invalid.Error, StringComparison.Ordinal);
        await using var db = store.NewDataContext();
        Assert.Single(await db.Set<StaffMember>().ToListAsync(Cancel));
    }

    [Fact]
    public async Task StaffDisable_KnownMember_ListsItDisabled()
    {
        await using var store = await TestStore.CreateAsync(DatabaseProvider.Sqlite, Cancel);
        using var folder = new TempFolder();
        string[] settings = [$"--Storage:Database={store.DatabaseConnectionString}", $"--Storage:KeyStore={store.KeyStoreConnectionString}", $"--Storage:DataDirectory={folder.Path}"];
        await Cli.RunAsync(["staff", "add", "ana", .. settings]);

        var disabled = await Cli.RunAsync(["staff", "disable", "ana", .. settings]);
        var unknown = await Cli.RunAsync(["staff", "disable", "bo", .. settings]);
        var listed = await Cli.RunAsync(["staff", "list", .. settings]);

        Assert.Equal((0, "disabled staff member ana\n", ""), disabled);
        Assert.Equal(1, unknown.Exit);
        Assert.Matches(@"^ana  added .+  disabled \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\n$", listed.Output);
    }
}
