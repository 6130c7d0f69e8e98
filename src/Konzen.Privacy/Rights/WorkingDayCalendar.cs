using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Konzen.Privacy.Rights;

/// <summary>
/// A deadline: the instant its last working day ends (midnight China time), and whether any day
/// counted lies in a year without a calendar file, so that Monday to Friday was assumed for it.
/// </summary>
public sealed record WorkingDeadline(DateTimeOffset Due, bool Estimated);

/// <summary>A calendar file that cannot be used; the message names the file and the fault.</summary>
public sealed class WorkingDayCalendarException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The PRC working-day calendar: weekends are rest days, except the weekend days a State Council
/// notice makes working days, and the notice's public holidays are rest days. One data file per year
/// (<c>cn-YYYY.json</c>): the years shipped in the library, plus any an operator adds in
/// <see cref="RequestOptions.CalendarFolder"/> (which replace a shipped year of the same number).
/// </summary>
/// <remarks>
/// The counting rule for a period of N working days (S6.3): the day of filing never counts; day one is
/// the first working day after the filing date (so a filing on a weekend or holiday starts counting on
/// the next working day), and the period ends when the Nth working day ends, at midnight in China time
/// (UTC+8, which has no daylight saving). Dates are taken in China time whatever the server's zone.
/// </remarks>
public sealed class WorkingDayCalendar
{
    /// <summary>China Standard Time; a fixed offset, since China keeps no daylight saving.</summary>
    public static readonly TimeSpan ChinaOffset = TimeSpan.FromHours(8);

    private const string ResourcePrefix = "Konzen.Privacy.Rights.Calendar.";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    private readonly FrozenDictionary<int, YearDays> years;

    private WorkingDayCalendar(Dictionary<int, YearDays> years) => this.years = years.ToFrozenDictionary();

    /// <summary>The years with a calendar file, in order.</summary>
    public IReadOnlyList<int> Years => [.. years.Keys.Order()];

    /// <summary>The years embedded in the library, with any of <paramref name="folder"/> (files named <c>cn-YYYY.json</c>) added or replacing.</summary>
    public static WorkingDayCalendar Load(string? folder = null)
    {
        var loaded = new Dictionary<int, YearDays>();
        var assembly = typeof(WorkingDayCalendar).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            Add(loaded, Parse(stream, name[ResourcePrefix.Length..]));
        }

        if (folder is not null)
        {
            if (!Directory.Exists(folder))
            {
                throw new WorkingDayCalendarException($"The calendar folder '{folder}' does not exist.");
            }

            foreach (var file in Directory.EnumerateFiles(folder, "cn-*.json").Order(StringComparer.Ordinal))
            {
                using var stream = File.OpenRead(file);
                Add(loaded, Parse(stream, file));
            }
        }

        return new WorkingDayCalendar(loaded);
    }

    /// <summary>Reads one year's file; <paramref name="source"/> names it in errors, and its name must carry the year it holds.</summary>
    internal static (int Year, YearDays Days) Parse(Stream stream, string source)
    {
        CalendarFile? file;
        try
        {
            file = JsonSerializer.Deserialize<CalendarFile>(stream, Json);
        }
        catch (JsonException e)
        {
            throw new WorkingDayCalendarException($"The calendar file '{source}' is not valid: {e.Message}", e);
        }

        if (file is null || file.Year is < 1949 or > 9998)
        {
            throw new WorkingDayCalendarException($"The calendar file '{source}' names no valid year.");
        }

        if (!Path.GetFileNameWithoutExtension(source).Equals($"cn-{file.Year}", StringComparison.Ordinal))
        {
            throw new WorkingDayCalendarException($"The calendar file '{source}' holds {file.Year}; name it cn-{file.Year}.json.");
        }

        var rest = new HashSet<DateOnly>();
        foreach (var holiday in file.Holidays ?? [])
        {
            var from = Day(holiday.From, file.Year, source);
            var to = Day(holiday.To, file.Year, source);
            if (to < from || to.DayNumber - from.DayNumber > 31)
            {
                throw new WorkingDayCalendarException($"The calendar file '{source}' has a holiday from {holiday.From} to {holiday.To}: the end must follow the start, within 31 days.");
            }

            for (var day = from; day <= to; day = day.AddDays(1))
            {
                rest.Add(day);
            }
        }

        var working = new HashSet<DateOnly>();
        foreach (var text in file.WorkingWeekendDays ?? [])
        {
            var day = Day(text, file.Year, source);
            // An adjusted working day is always a weekend day made a working day; anything else is a typo.
            if (!IsWeekend(day) || rest.Contains(day))
            {
                throw new WorkingDayCalendarException($"The calendar file '{source}' lists {text} as a working weekend day, but it is not a weekend day outside the holidays.");
            }

            working.Add(day);
        }

        return (file.Year, new YearDays(rest.ToFrozenSet(), working.ToFrozenSet()));
    }

    /// <summary>Whether <paramref name="day"/> is a working day; <paramref name="known"/> is false when its year has no file and Monday to Friday was assumed.</summary>
    public bool IsWorkingDay(DateOnly day, out bool known)
    {
        if (years.TryGetValue(day.Year, out var year))
        {
            known = true;
            return year.Working.Contains(day) || (!IsWeekend(day) && !year.Rest.Contains(day));
        }

        known = false;
        return !IsWeekend(day);
    }

    /// <summary>The date in China time of <paramref name="instant"/>.</summary>
    public static DateOnly ChinaDate(DateTimeOffset instant) => DateOnly.FromDateTime(instant.ToOffset(ChinaOffset).DateTime);

    /// <summary>The day whose end <paramref name="due"/> is (the last working day of a period).</summary>
    public static DateOnly LastDayOf(DateTimeOffset due) => ChinaDate(due).AddDays(-1);

    /// <summary>The deadline of <paramref name="workingDays"/> working days for something filed at <paramref name="filedAt"/> (see the counting rule above).</summary>
    public WorkingDeadline Deadline(DateTimeOffset filedAt, int workingDays) => After(ChinaDate(filedAt), workingDays);

    /// <summary>The deadline of <paramref name="workingDays"/> working days counted from the day after <paramref name="day"/>.</summary>
    public WorkingDeadline After(DateOnly day, int workingDays)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workingDays);
        var estimated = false;
        var counted = 0;
        while (counted < workingDays)
        {
            day = day.AddDays(1);
            if (IsWorkingDay(day, out var known))
            {
                counted++;
            }

            estimated |= !known;
        }

        var end = day.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new WorkingDeadline(new DateTimeOffset(end, ChinaOffset).ToUniversalTime(), estimated);
    }

    private static bool IsWeekend(DateOnly day) => day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;

    private static DateOnly Day(string? text, int year, string source)
    {
        if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) || day.Year != year)
        {
            throw new WorkingDayCalendarException($"The calendar file '{source}' has '{text}', which is not a date (yyyy-MM-dd) in {year}.");
        }

        return day;
    }

    private static void Add(Dictionary<int, YearDays> years, (int Year, YearDays Days) parsed) => years[parsed.Year] = parsed.Days;

    internal sealed record YearDays(FrozenSet<DateOnly> Rest, FrozenSet<DateOnly> Working);

    private sealed record CalendarFile(int Year, string? Source, IReadOnlyList<HolidayRange>? Holidays, IReadOnlyList<string>? WorkingWeekendDays);

    private sealed record HolidayRange(string? Name, string? From, string? To);
}
