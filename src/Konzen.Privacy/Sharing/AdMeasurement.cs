using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Sharing;

/// <summary>One cell of a measurement report: clicks on one target on one day in one coarse area.</summary>
/// <param name="Day">The UTC day, yyyy-MM-dd.</param>
/// <param name="Target">The click target (<see cref="PagePaths.Target"/>).</param>
/// <param name="City">A geohash of length 4 (about 39 by 20 km), or <c>*</c> when the purpose may not use location.</param>
/// <param name="Events">How many clicks.</param>
/// <param name="Subjects">How many distinct subjects clicked; at least the report's k.</param>
public sealed record MeasurementCell(string Day, string Target, string City, int Events, int Subjects);

/// <summary>
/// An advertising measurement report (S4.6): only cells of at least <see cref="K"/> distinct subjects,
/// how many cells were suppressed, the SHA-256 of its CSV form (<see cref="AdMeasurement.ToCsv"/>), the
/// subjects counted in a shown cell, the categories it derives from and its purpose.
/// </summary>
public sealed record MeasurementReport(
    int K, IReadOnlyList<MeasurementCell> Cells, int SuppressedCells, byte[] Sha256, IReadOnlyList<Guid> SubjectIds, IReadOnlyList<string> Categories, string Purpose);

/// <summary>
/// Aggregate advertising measurement (S4.6): the advertising clicks of the period, of adults whose
/// consent allows <c>analytics.reporting.ad_performance</c> now, counted per day, target and coarse
/// location, as events and distinct subjects. A cell with fewer than k subjects is left out and only
/// counted. No row, pseudonym or id of anyone is in the report.
/// </summary>
public sealed class AdMeasurement(AdvertisingPopulation population, CompiledPolicy policy)
{
    /// <summary>The purpose a report serves; subjects must have consented to it.</summary>
    public const string Purpose = "analytics.reporting.ad_performance";

    /// <summary>The columns of <see cref="ToCsv"/>.</summary>
    public const string CsvHeader = "day,target,city,events,subjects";

    private const string ClicksCategory = "user.behavior.clicks";
    private const int GeohashLength = 4;

    public async Task<MeasurementReport> ReportAsync(DatasetRequest request, CancellationToken ct = default)
    {
        var k = SharingRequests.CheckRequest(policy, request);
        const string actor = "sharing:measurement";
        var subjects = await population.EligibleAsync(Purpose, ClicksCategory, actor, ct);
        var locations = await population.LocationsAsync(subjects, Purpose, request.To, GeohashLength, actor, ct);
        await population.RecordReadsAsync(ct);

        // Clicks are collected for advertising; measuring them needs the subject's consent to measurement as well.
        var cells = new Dictionary<(string Day, string Target, string City), (int Events, HashSet<int> Subjects)>();
        var clicks = new HashSet<string>(StringComparer.Ordinal) { "click" };
        await population.ReadEventsAsync(subjects, AdvertiserDatasets.Purpose, clicks, request.From, request.To, e =>
        {
            var key = (e.At.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), PagePaths.Target(e.Target), locations[e.Owner] ?? QuasiIdentifier.Suppressed);
            if (!cells.TryGetValue(key, out var cell))
            {
                cell = (0, []);
            }

            cell.Subjects.Add(e.Owner);
            cells[key] = (cell.Events + 1, cell.Subjects);
        }, ct);

        var shown = new List<MeasurementCell>();
        var counted = new HashSet<int>();
        foreach (var ((day, target, city), (events, owners)) in cells.OrderBy(c => c.Key.Day, StringComparer.Ordinal)
            .ThenBy(c => c.Key.Target, StringComparer.Ordinal).ThenBy(c => c.Key.City, StringComparer.Ordinal))
        {
            if (owners.Count >= k)
            {
                shown.Add(new MeasurementCell(day, target, city, events, owners.Count));
                counted.UnionWith(owners);
            }
        }

        var categories = new List<string> { ClicksCategory };
        if (shown.Any(c => c.City != QuasiIdentifier.Suppressed))
        {
            categories.Insert(0, AdvertisingPopulation.LocationCategory);
        }

        var subjectIds = counted.Select(i => subjects[i].Id).Order().ToList();
        return new MeasurementReport(k, shown, cells.Count - shown.Count, SHA256.HashData(ToCsv(shown)), subjectIds, categories, Purpose);
    }

    /// <summary>The cells as CSV (UTF-8, CRLF, header <see cref="CsvHeader"/>): the bytes a report's SHA-256 covers.</summary>
    public static byte[] ToCsv(IReadOnlyList<MeasurementCell> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var csv = new StringBuilder(CsvHeader).Append("\r\n");
        foreach (var cell in cells)
        {
            AdvertiserCsv.Escape(csv, cell.Day);
            csv.Append(',');
            AdvertiserCsv.Escape(csv, cell.Target);
            csv.Append(',');
            AdvertiserCsv.Escape(csv, cell.City);
            csv.Append(CultureInfo.InvariantCulture, $",{cell.Events},{cell.Subjects}\r\n");
        }

        return Encoding.UTF8.GetBytes(csv.ToString());
    }
}
