namespace Konzen.Privacy.Host.Tests.Rights;

public sealed class ReauthenticationOptionsTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData("00:00:01")]
    [InlineData("2.00:00:00")]
    public async Task Serve_ReauthenticationWindowOutOfRange_ExitsOneNamingTheSetting(string window)
    {
        var (exit, _, error) = await Cli.RunAsync(
            "serve", $"--Rights:ReauthenticationWindow={window}", $"--Storage:DataDirectory={folder.Path}", "--urls", "http://127.0.0.1:0");

        Assert.Equal(1, exit);
        Assert.Contains("ReauthenticationWindow", error, StringComparison.Ordinal);
    }
}
