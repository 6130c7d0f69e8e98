using System.Security.Cryptography;
using System.Text;
using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;

namespace Konzen.Privacy.Tests.Sharing;

public sealed class AdMeasurementTests
{
    private const string Profiling = "marketing.advertising.profiling";
    private const string Measurement = "analytics.reporting.ad_performance";

    private static readonly DateOnly Adult = new(1985, 3, 9);

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S4.6")]
    public async Task ReportAsync_CellsWithFewerThanKSubjects_AreSuppressedAndNoIndividualLeaves(DatabaseProvider provider)
    {
        await using var bed = await DatasetBed.StartAsync(provider);
        var measured = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            var id = await bed.NewSubjectAsync(Adult, Profiling, Measurement);
            await bed.SendAsync(id, DatasetBed.Click("ad-1"), DatasetBed.Click("ad-1", hoursAgo: 3), DatasetBed.PageView("/domains"));
            if (i < 3)
            {
                await bed.SendAsync(id, DatasetBed.Click("ad-2"));
            }

            measured.Add(id);
        }

        // Clicks of subjects who did not consent to measurement are not counted, whatever they consented to else.
        var notMeasured = await bed.NewSubjectAsync(Adult, Profiling);
        await bed.SendAsync(notMeasured, DatasetBed.Click("ad-1"));

        var report = await bed.ReportAsync();

        var cell = Assert.Single(report.Cells);
        Assert.Equal(new MeasurementCell("2026-12-01", "ad-1", "*", 20, 10), cell);
        Assert.Equal(1, report.SuppressedCells);
        Assert.Equal(10, report.K);
        Assert.Equal(Measurement, report.Purpose);
        Assert.Equal(["user.behavior.clicks"], report.Categories);
        Assert.Equal(measured.Order(), report.SubjectIds.Order());
        var csv = AdMeasurement.ToCsv(report.Cells);
        Assert.Equal(SHA256.HashData(csv), report.Sha256);
        Assert.Equal("day,target,city,events,subjects\r\n2026-12-01,ad-1,*,20,10\r\n", Encoding.UTF8.GetString(csv));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S4.6")]
    public async Task ReportAsync_MinorsAndWithdrawnSubjects_AreNotCounted(DatabaseProvider provider)
    {
        await using var bed = await DatasetBed.StartAsync(provider);
        var subjects = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            var id = await bed.NewSubjectAsync(Adult, Profiling, Measurement);
            await bed.SendAsync(id, DatasetBed.Click("ad-1"));
            subjects.Add(id);
        }

        var minor = await bed.NewSubjectAsync(DateOnly.FromDateTime(DatasetBed.Now.UtcDateTime).AddYears(-15), Profiling, Measurement);
        await bed.SendAsync(minor, DatasetBed.Click("ad-1"));
        var full = await bed.ReportAsync();
        await bed.ConsentAsync(subjects[0], Measurement, granted: false);

        var report = await bed.ReportAsync();

        Assert.Equal(10, Assert.Single(full.Cells).Subjects);
        Assert.DoesNotContain(minor, full.SubjectIds);
        Assert.Empty(report.Cells);
        Assert.Equal(1, report.SuppressedCells);
        Assert.Empty(report.SubjectIds);
    }
}
