using System.CommandLine;
using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Host.Tests.Serve;

public sealed class StartupTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("konzen-startup-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task Serve_WithInvalidPolicyFile_ExitsOneWithEveryErrorAndNoStackTrace()
    {
        var file = Path.Combine(directory, "bad.policy.yaml");
        File.WriteAllText(file, PolicyLoader.ReadDefaultText().Replace("retention: P90D", "retention: ninety days", StringComparison.Ordinal));
        using var output = new StringWriter();
        using var error = new StringWriter { NewLine = "\n" };

        var exit = await KonzenCommand.Create()
            .Parse(["serve", $"--Policy:File={file}", "--urls", "http://127.0.0.1:0"])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, TestContext.Current.CancellationToken);

        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1, exit);
        Assert.Equal("konzen: cannot start: The policy does not load:", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.All(lines[1..], line => Assert.Matches(@"^bad\.policy\.yaml:\d+:\d+: retention 'ninety days' is not a duration; expected ", line));
        Assert.DoesNotContain("   at ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithPolicyFileConfigured_EnforcesThatFile()
    {
        var file = Path.Combine(directory, "other.policy.yaml");
        File.WriteAllText(file, PolicyLoader.ReadDefaultText().Replace("version: 1.0.0", "version: 2.3.4", StringComparison.Ordinal));
        using var factory = new KonzenFactory();

        var json = await factory.With("Policy:File", file).CreateClient().GetStringAsync("/api/v1/policy", TestContext.Current.CancellationToken);

        Assert.Contains("\"number\":\"2.3.4\"", json, StringComparison.Ordinal);
    }
}
