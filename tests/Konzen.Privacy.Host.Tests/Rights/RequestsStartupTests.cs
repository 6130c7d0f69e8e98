namespace Konzen.Privacy.Host.Tests.Rights;

public sealed class RequestsStartupTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    [Trait("Clause", "S6.3")]
    public async Task Serve_CalendarFolderWithAWorkingDayThatIsNoWeekendDay_ExitsOneNamingTheFile()
    {
        var calendars = Directory.CreateDirectory(Path.Combine(folder.Path, "calendars")).FullName;
        await File.WriteAllTextAsync(
            Path.Combine(calendars, "cn-2027.json"), """{ "year": 2027, "holidays": [], "workingWeekendDays": [ "2027-01-05" ] }""", TestContext.Current.CancellationToken);

        var (exit, _, error) = await Cli.RunAsync(
            "serve", $"--Requests:CalendarFolder={calendars}", $"--Storage:DataDirectory={Path.Combine(folder.Path, "data")}", "--urls", "http://127.0.0.1:0");

        Assert.Equal(1, exit);
        Assert.StartsWith("konzen: cannot start: The calendar file '", error, StringComparison.Ordinal);
        Assert.Contains("cn-2027.json' lists 2027-01-05 as a working weekend day", error, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Clause", "S6.3")]
    public async Task Serve_CalendarFolderMissing_ExitsOneNamingTheSetting()
    {
        var (exit, _, error) = await Cli.RunAsync(
            "serve", $"--Requests:CalendarFolder={Path.Combine(folder.Path, "none")}", $"--Storage:DataDirectory={Path.Combine(folder.Path, "data")}", "--urls", "http://127.0.0.1:0");

        Assert.Equal(1, exit);
        Assert.Contains("Requests:CalendarFolder must name an existing folder.", error, StringComparison.Ordinal);
    }
}
