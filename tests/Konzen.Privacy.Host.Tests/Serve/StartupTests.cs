using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Host.Tests.Serve;

public sealed class StartupTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task Serve_WithInvalidPolicyFile_ExitsOneWithEveryErrorAndNoStackTrace()
    {
        var file = folder.Write("bad.policy.yaml", PolicyLoader.ReadDefaultText().Replace("retention: P90D", "retention: ninety days", StringComparison.Ordinal));

        var (exit, _, error) = await Cli.RunAsync("serve", $"--Policy:File={file}", "--urls", "http://127.0.0.1:0");

        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1, exit);
        Assert.Equal("konzen: cannot start: The policy does not load:", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.All(lines[1..], line => Assert.Matches(@"^bad\.policy\.yaml:\d+:\d+: retention 'ninety days' is not a duration; expected ", line));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithPolicyFileConfigured_EnforcesThatFile()
    {
        var file = folder.Write("other.policy.yaml", PolicyLoader.ReadDefaultText().Replace("version: 1.0.0", "version: 2.3.4", StringComparison.Ordinal));
        using var factory = new KonzenFactory();

        var json = await factory.With("Policy:File", file).CreateClient().GetStringAsync("/api/v1/policy", TestContext.Current.CancellationToken);

        Assert.Contains("\"number\":\"2.3.4\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_DatabaseUnreachable_ExitsOneWithOneLineAndNoPassword()
    {
        var (exit, _, error) = await Cli.RunAsync(
            "serve", "--database", "Host=127.0.0.1;Port=1;Username=konzen;Password=s3cret-pw;Timeout=3", "--Storage:KeyStore=Host=127.0.0.1;Port=1;Database=keys;Timeout=3",
            $"--Storage:DataDirectory={folder.Path}", "--urls", "http://127.0.0.1:0");

        Assert.Equal(1, exit);
        Assert.StartsWith("konzen: cannot start: The data store cannot be used: ", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("s3cret-pw", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Serve_SchemaNewerThanTheBuild_RefusesToStartAndLeavesTheStore(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, TestContext.Current.CancellationToken);
        await using (var db = store.NewDataContext())
        {
            await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO \"__EFMigrationsHistory\" (\"MigrationId\", \"ProductVersion\") VALUES ('29991231000000_FromTheFuture', '99.0.0')",
                TestContext.Current.CancellationToken);
        }

        var (exit, _, error) = await Cli.RunAsync(
            "serve", "--database", store.DatabaseConnectionString, $"--Storage:KeyStore={store.KeyStoreConnectionString}",
            $"--Storage:DataDirectory={folder.Path}", "--urls", "http://127.0.0.1:0");

        Assert.Equal(1, exit);
        Assert.Equal(
            "konzen: cannot start: The data store schema is newer than this version of konzen (it has migration 29991231000000_FromTheFuture); upgrade konzen or point it at another store.\n",
            error);
    }
}
