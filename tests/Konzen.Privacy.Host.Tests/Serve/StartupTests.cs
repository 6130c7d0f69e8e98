using Konzen.Privacy.Policy;

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
}
