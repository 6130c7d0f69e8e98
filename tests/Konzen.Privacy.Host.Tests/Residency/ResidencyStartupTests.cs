namespace Konzen.Privacy.Host.Tests.Residency;

public sealed class ResidencyStartupTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData("Region", "XX")]
    [InlineData("StoreRegion", "cn")]
    [Trait("Clause", "S2.3")]
    public async Task Serve_RegionThePolicyDoesNotDeclare_ExitsOneNamingTheSettingAndCreatesNoStore(string setting, string region)
    {
        var (exit, _, error) = await Cli.RunAsync(
            "serve", $"--Residency:{setting}={region}", $"--Storage:DataDirectory={folder.Path}", "--urls", "http://127.0.0.1:0");

        Assert.Equal(1, exit);
        Assert.Equal(
            $"konzen: cannot start: Residency:{setting} is '{region}', which is not a region the policy declares; expected one of: CN.\n",
            error);
        Assert.Empty(Directory.EnumerateFiles(folder.Path, "*.db"));
    }
}
