namespace Konzen.Privacy.Tests.Rights;

/// <summary>
/// A small made-up calendar in a folder of its own, as an operator would add years. 2030 has a holiday
/// week (Tuesday 1 to Monday 7 October) with an adjusted working Sunday before it (29 September) and an
/// adjusted working Saturday after it (12 October); 2031 starts with a holiday from Wednesday 1 to
/// Friday 3 January and a working Saturday 4 January.
/// </summary>
internal sealed class WorkingDaysTestCalendar : IDisposable
{
    public const string Year2030 = """
        {
          "year": 2030,
          "source": "test calendar",
          "holidays": [ { "name": "holiday week", "from": "2030-10-01", "to": "2030-10-07" } ],
          "workingWeekendDays": [ "2030-09-29", "2030-10-12" ]
        }
        """;

    public const string Year2031 = """
        {
          "year": 2031,
          "source": "test calendar",
          "holidays": [ { "name": "new year", "from": "2031-01-01", "to": "2031-01-03" } ],
          "workingWeekendDays": [ "2031-01-04" ]
        }
        """;

    public WorkingDaysTestCalendar(bool with2031 = true)
    {
        File.WriteAllText(Path.Combine(Folder, "cn-2030.json"), Year2030);
        if (with2031)
        {
            File.WriteAllText(Path.Combine(Folder, "cn-2031.json"), Year2031);
        }
    }

    public string Folder { get; } = Directory.CreateTempSubdirectory("konzen-calendar-").FullName;

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
