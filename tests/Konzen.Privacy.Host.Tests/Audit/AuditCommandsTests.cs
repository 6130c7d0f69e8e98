using Konzen.Privacy.Audit;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;

namespace Konzen.Privacy.Host.Tests.Audit;

public sealed class AuditCommandsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<TestStore> StoreWithChainAsync(DatabaseProvider provider, int entries)
    {
        var store = await TestStore.CreateAsync(provider, Ct);
        await AuditRows.AppendAsync(store, new AuditLog(TimeProvider.System), entries, Ct);
        return store;
    }

    private static string[] StoreSettings(TestStore store) =>
        [$"--Storage:Database={store.DatabaseConnectionString}", $"--Storage:KeyStore={store.KeyStoreConnectionString}"];

    [Theory]
    [Trait("Clause", "S3.1")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task AuditVerify_UntouchedStore_ExitsZeroWithTheCount(DatabaseProvider provider)
    {
        await using var store = await StoreWithChainAsync(provider, 4);

        var (exit, output, error) = await Cli.RunAsync(["audit", "verify", .. StoreSettings(store)]);

        Assert.Equal((0, "audit chain intact: 4 entries\n", ""), (exit, output, error));
    }

    [Theory]
    [Trait("Clause", "S3.1")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task AuditVerify_AfterOneRowIsEdited_ExitsOneNamingThatEntry(DatabaseProvider provider)
    {
        await using var store = await StoreWithChainAsync(provider, 4);
        await using (var db = store.NewDataContext())
        {
            Assert.Equal(1, await AuditRows.SetTextAsync(db, 3, "Actor", "staff:someone-else", Ct));
        }

        var (exit, output, error) = await Cli.RunAsync(["audit", "verify", .. StoreSettings(store)]);

        Assert.Equal(
            (1, "", "audit chain broken at entry 3: hash mismatch: its contents do not match its stored hash\n"),
            (exit, output, error));
    }

    [Fact]
    public async Task AuditVerify_DefaultStoreInDataDirectory_ReadsIt()
    {
        await using var store = await StoreWithChainAsync(DatabaseProvider.Sqlite, 2);

        var (exit, output, _) = await Cli.RunAsync("audit", "verify", $"--Storage:DataDirectory={store.Folder}");

        Assert.Equal((0, "audit chain intact: 2 entries\n"), (exit, output));
    }

    [Fact]
    public async Task AuditVerify_DatabaseOption_IsTheDataStore()
    {
        await using var store = await StoreWithChainAsync(DatabaseProvider.Sqlite, 3);
        await using (var db = store.NewDataContext())
        {
            await AuditRows.DeleteAsync(db, 2, Ct);
        }

        var (exit, _, error) = await Cli.RunAsync("audit", "verify", "--database", store.DatabaseConnectionString);

        Assert.Equal((1, "audit chain broken at entry 2: entry 2 is missing (the next entry is 3)\n"), (exit, error));
    }

    [Fact]
    public async Task AuditVerify_MissingStore_ExitsTwoAndCreatesNothing()
    {
        using var folder = new TempFolder();

        var (exit, output, error) = await Cli.RunAsync("audit", "verify", $"--Storage:DataDirectory={folder.Path}");

        Assert.Equal((2, ""), (exit, output));
        Assert.StartsWith("konzen: cannot verify the audit log: The data store ", error, StringComparison.Ordinal);
        Assert.EndsWith(" does not exist.\n", error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public async Task AuditVerify_PostgresWithoutKeyStore_IsRefusedAsTheServiceRefusesIt()
    {
        var (exit, _, error) = await Cli.RunAsync("audit", "verify", "--Storage:Database=Host=127.0.0.1;Database=none");

        Assert.Equal(2, exit);
        Assert.Contains("Storage:KeyStore must name a separate database", error, StringComparison.Ordinal);
    }
}
