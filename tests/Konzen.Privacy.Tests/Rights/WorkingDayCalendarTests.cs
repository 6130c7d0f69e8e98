using Konzen.Privacy.Rights;

namespace Konzen.Privacy.Tests.Rights;

public sealed class WorkingDayCalendarTests
{
    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    /// <summary>The instant the given China-time day ends: midnight China time, as UTC.</summary>
    private static DateTimeOffset EndOf(int year, int month, int day) =>
        new DateTimeOffset(year, month, day, 0, 0, 0, China).AddDays(1).ToUniversalTime();

    private static DateTimeOffset ChinaTime(int year, int month, int day, int hour) => new(year, month, day, hour, 0, 0, China);

    [Fact]
    [Trait("Clause", "S6.3")]
    public void Deadline_HolidayWeekWithAdjustedWorkingSaturday_SkipsTheHolidaysAndCountsTheSaturday()
    {
        using var files = new WorkingDaysTestCalendar();
        var calendar = WorkingDayCalendar.Load(files.Folder);

        // Filed Monday 30 September: the holiday week (1 to 7 October) does not count, the 8th to the
        // 11th are days one to four and the adjusted working Saturday the 12th is day five.
        var deadline = calendar.Deadline(ChinaTime(2030, 9, 30, 10), 5);

        Assert.Equal(new WorkingDeadline(EndOf(2030, 10, 12), Estimated: false), deadline);
        Assert.True(calendar.IsWorkingDay(new DateOnly(2030, 10, 12), out var known) && known);
        Assert.False(calendar.IsWorkingDay(new DateOnly(2030, 10, 7), out _));
    }

    [Fact]
    [Trait("Clause", "S6.3")]
    public void Deadline_FridayFiling_FilingDayDoesNotCountAndTheWeekendIsSkipped()
    {
        using var files = new WorkingDaysTestCalendar();
        var calendar = WorkingDayCalendar.Load(files.Folder);

        // Friday 15 November, late afternoon: Monday 18th is day one, Wednesday 20th day three.
        var friday = calendar.Deadline(ChinaTime(2030, 11, 15, 17), 3);
        // 17:00 UTC on Thursday is already 01:00 on Friday in China: the filing day is the Friday.
        var thursdayUtc = calendar.Deadline(new DateTimeOffset(2030, 11, 14, 17, 0, 0, TimeSpan.Zero), 3);
        // A Saturday filing starts counting on the next working day, the same Monday.
        var saturday = calendar.Deadline(ChinaTime(2030, 11, 16, 9), 3);

        Assert.Equal(new WorkingDeadline(EndOf(2030, 11, 20), false), friday);
        Assert.Equal(friday, thursdayUtc);
        Assert.Equal(friday, saturday);
    }

    [Fact]
    [Trait("Clause", "S6.3")]
    public void Deadline_FilingAcrossTheNewYear_UsesTheNextYearsFile()
    {
        using var files = new WorkingDaysTestCalendar();
        var calendar = WorkingDayCalendar.Load(files.Folder);

        // Friday 27 December 2030: Monday 30th (1), Tuesday 31st (2), 1 to 3 January are holidays,
        // Saturday 4 January is a working day (3), Monday 6th (4), Tuesday 7th (5).
        var deadline = calendar.Deadline(ChinaTime(2030, 12, 27, 11), 5);

        Assert.Equal(new WorkingDeadline(EndOf(2031, 1, 7), Estimated: false), deadline);
    }

    [Fact]
    [Trait("Clause", "S6.3")]
    public void Deadline_YearWithoutFile_AssumesMondayToFridayAndSaysItIsEstimated()
    {
        using var files = new WorkingDaysTestCalendar(with2031: false);
        var calendar = WorkingDayCalendar.Load(files.Folder);

        var acrossNewYear = calendar.Deadline(ChinaTime(2030, 12, 27, 11), 5);
        var within2030 = calendar.Deadline(ChinaTime(2030, 11, 15, 17), 3);

        Assert.Equal(new WorkingDeadline(EndOf(2031, 1, 3), Estimated: true), acrossNewYear);
        Assert.False(within2030.Estimated);
    }

    [Fact]
    [Trait("Clause", "S6.3")]
    public void Deadline_ShippedCalendar_FifteenWorkingDaysOverTheSpringFestival()
    {
        var calendar = WorkingDayCalendar.Load();

        // Friday 13 February 2026: Saturday 14th is a working day (1), the Spring Festival runs from the
        // 15th to the 23rd, then 24 to 27 (2 to 5), Saturday 28th working (6), 2 to 6 March (7 to 11),
        // 9 to 12 March (12 to 15).
        var deadline = calendar.Deadline(ChinaTime(2026, 2, 13, 9), 15);

        Assert.Equal(new WorkingDeadline(EndOf(2026, 3, 12), false), deadline);
    }

    [Theory]
    [InlineData("2025-01-01", false)]
    [InlineData("2025-01-26", true)]
    [InlineData("2025-02-04", false)]
    [InlineData("2025-02-08", true)]
    [InlineData("2025-04-27", true)]
    [InlineData("2025-06-02", false)]
    [InlineData("2025-10-08", false)]
    [InlineData("2025-10-11", true)]
    [InlineData("2025-10-13", true)]
    [InlineData("2026-01-02", false)]
    [InlineData("2026-01-04", true)]
    [InlineData("2026-02-14", true)]
    [InlineData("2026-02-23", false)]
    [InlineData("2026-02-28", true)]
    [InlineData("2026-05-05", false)]
    [InlineData("2026-05-09", true)]
    [InlineData("2026-06-19", false)]
    [InlineData("2026-09-20", true)]
    [InlineData("2026-09-25", false)]
    [InlineData("2026-10-07", false)]
    [InlineData("2026-10-10", true)]
    [InlineData("2026-12-19", false)]
    public void IsWorkingDay_ShippedYears_MatchTheStateCouncilNotices(string date, bool working)
    {
        var calendar = WorkingDayCalendar.Load();

        Assert.Equal(working, calendar.IsWorkingDay(DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture), out var known));
        Assert.True(known);
        Assert.Equal([2025, 2026], calendar.Years);
    }

    [Theory]
    [InlineData("cn-2030.json", """{ "year": 2030, "holidays": [], "workingWeekendDays": [ "2030-10-02" ] }""")]
    [InlineData("cn-2031.json", """{ "year": 2030, "holidays": [], "workingWeekendDays": [] }""")]
    [InlineData("cn-2030.json", """{ "year": 2030, "holidays": [ { "name": "x", "from": "2030-10-07", "to": "2030-10-01" } ] }""")]
    [InlineData("cn-2030.json", """{ "year": 2030, "holidays": [ { "name": "x", "from": "2031-01-01", "to": "2031-01-01" } ] }""")]
    [InlineData("cn-2030.json", """{ "year": 2030, "holiday": [] }""")]
    [InlineData("cn-2030.json", "not json")]
    public void Load_InvalidFile_IsRefusedNamingTheFile(string name, string content)
    {
        var folder = Directory.CreateTempSubdirectory("konzen-calendar-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, name), content);

            var error = Assert.Throws<WorkingDayCalendarException>(() => WorkingDayCalendar.Load(folder));

            Assert.Contains(name, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
