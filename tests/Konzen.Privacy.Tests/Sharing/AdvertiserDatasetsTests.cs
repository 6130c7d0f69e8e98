using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;

namespace Konzen.Privacy.Tests.Sharing;

public sealed class AdvertiserDatasetsTests
{
    private const string Profiling = "marketing.advertising.profiling";
    private const string Recipient = "acme-ads";

    private static readonly DateOnly Adult = new(1990, 5, 1);

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.2")]
    public async Task WriteAsync_OnlyConsentedAdults_AppearEachUnderItsOwnPseudonym(DatabaseProvider provider)
    {
        await using var bed = await DatasetBed.StartAsync(provider);
        var adults = new List<Guid>();
        for (var i = 0; i < 11; i++)
        {
            var id = await bed.NewSubjectAsync(Adult.AddDays(i), Profiling);
            await bed.SendAsync(id, DatasetBed.PageView($"/p/n{i}"), DatasetBed.Click("ad-1", $"/p/n{i}"), DatasetBed.Device("iPhone 15"));
            adults.Add(id);
        }

        // A minor who consented (the ledger took it) and whose events the intake stored: never in a dataset.
        var minor = await bed.NewSubjectAsync(DateOnly.FromDateTime(DatasetBed.Now.UtcDateTime).AddYears(-16), Profiling);
        await bed.SendAsync(minor, DatasetBed.PageView("/p/minor"));

        // An adult who consented to analytics only: the events it sends for analytics are not advertising events.
        var analytics = await bed.NewSubjectAsync(Adult, "analytics.reporting");
        await bed.SendAsync(analytics, DatasetBed.PageView("/p/analytics") with { Purpose = "analytics" });

        var (dataset, text) = await bed.DatasetAsync(Recipient);

        Assert.Equal(adults.Order(), dataset.SubjectIds.Order());
        Assert.Equal(Profiling, dataset.Purpose);
        Assert.Equal(["user.behavior.browsing_history", "user.behavior.clicks", "user.demographic.age_range", "user.device"], dataset.Categories);
        Assert.StartsWith("pseudonym,age,location,time,device,event_type,page\r\n", text, StringComparison.Ordinal);
        var rows = DatasetBed.Rows(text);
        Assert.Equal(33, rows.Count);
        Assert.Equal(0, dataset.Result.Suppressed);
        for (var i = 0; i < adults.Count; i++)
        {
            var pseudonym = await bed.PseudonymAsync(Recipient, adults[i]);
            var own = rows.Where(r => r[6] == $"/p/n{i}").ToList();
            Assert.Equal(2, own.Count);
            Assert.All(own, r => Assert.Equal(pseudonym, r[0]));
            Assert.DoesNotContain(adults[i].ToString(), text, StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain("/p/minor", text, StringComparison.Ordinal);
        Assert.DoesNotContain("/p/analytics", text, StringComparison.Ordinal);
        Assert.DoesNotContain(await bed.PseudonymAsync(Recipient, minor), text, StringComparison.Ordinal);
        Assert.All(rows, r => Assert.True(r[4] is "iPhone" or "phone" or "*"));
        Assert.All(rows, r => Assert.Equal("*", r[2]));

        // Every birth date it read to tell adults from minors is on record, subject by subject.
        var reads = (await bed.AuditAsync()).Where(e => e.Action == "field.read" && e.Actor == $"sharing:{Recipient}").ToList();
        Assert.All(reads, e => Assert.Equal(SubjectRegistration.BirthDateField, e.Field));
        Assert.Equal(adults.Append(minor).Order(), reads.Select(e => e.SubjectId!.Value).Order());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.2")]
    public async Task WriteAsync_AfterWithdrawal_LeavesTheSubjectOutOfTheNextDataset(DatabaseProvider provider)
    {
        await using var bed = await DatasetBed.StartAsync(provider);
        var subjects = new List<Guid>();
        for (var i = 0; i < 11; i++)
        {
            var id = await bed.NewSubjectAsync(Adult, Profiling);
            await bed.SendAsync(id, DatasetBed.PageView($"/p/n{i}"));
            subjects.Add(id);
        }

        var (before, _) = await bed.DatasetAsync(Recipient);
        await bed.ConsentAsync(subjects[0], Profiling, granted: false);
        var (after, text) = await bed.DatasetAsync(Recipient);

        Assert.Contains(subjects[0], before.SubjectIds);
        Assert.DoesNotContain(subjects[0], after.SubjectIds);
        Assert.Equal(10, after.SubjectIds.Count);
        Assert.DoesNotContain("/p/n0\r\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain(await bed.PseudonymAsync(Recipient, subjects[0]), text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.2")]
    public async Task WriteAsync_TwoRecipients_GetUnrelatedPseudonymsAndLocationsOnlyAsGeohashes(DatabaseProvider provider)
    {
        await using var bed = await DatasetBed.StartAsync(provider);
        for (var i = 0; i < 10; i++)
        {
            var id = await bed.NewSubjectAsync(Adult, Profiling, "functional.location");
            await bed.LocateAsync(id, 31.2304 + (i * 0.0001), 121.4737);
            await bed.SendAsync(id, DatasetBed.PageView("/domains"), DatasetBed.Device("SM-G991B"));
        }

        var (first, firstText) = await bed.DatasetAsync(Recipient);
        var (second, secondText) = await bed.DatasetAsync("other-agency");

        Assert.Equal(2, await bed.RecipientKeyCountAsync());
        Assert.Equal(first.SubjectIds.Order(), second.SubjectIds.Order());
        var firstPseudonyms = DatasetBed.Rows(firstText).Select(r => r[0]).ToHashSet();
        Assert.Equal(10, firstPseudonyms.Count);
        Assert.DoesNotContain(DatasetBed.Rows(secondText).Select(r => r[0]), firstPseudonyms.Contains);
        Assert.Contains(AdvertisingPopulation.LocationCategory, first.Categories);
        Assert.All(DatasetBed.Rows(firstText), r => Assert.Equal("wtw3s", r[2]));
        Assert.All(DatasetBed.Rows(firstText), r => Assert.Equal("Android phone", r[4]));
        Assert.DoesNotContain("31.23", firstText, StringComparison.Ordinal);
        Assert.Contains((await bed.AuditAsync()), e => e.Action == "location.read" && e.Actor == $"sharing:{Recipient}");
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task WriteAsync_BadRequest_ThrowsAndChangesNothing(DatabaseProvider provider)
    {
        await using var bed = await DatasetBed.StartAsync(provider);
        var id = await bed.NewSubjectAsync(Adult, Profiling);
        await bed.SendAsync(id, DatasetBed.PageView("/domains"));
        var audit = (await bed.AuditAsync()).Count;

        await Assert.ThrowsAsync<ArgumentException>(() => bed.DatasetAsync(Recipient, new DatasetRequest(DatasetBed.Now, DatasetBed.Now)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => bed.DatasetAsync(Recipient, DatasetBed.Today with { K = 2 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => bed.DatasetAsync(new string('r', 65)));

        Assert.Equal(audit, (await bed.AuditAsync()).Count);
        Assert.Equal(0, await bed.RecipientKeyCountAsync());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.2")]
    public async Task WriteAsync_TooFewSubjectsForK_ReleasesNoRow(DatabaseProvider provider)
    {
        await using var bed = await DatasetBed.StartAsync(provider);
        for (var i = 0; i < 9; i++)
        {
            var id = await bed.NewSubjectAsync(Adult, Profiling);
            await bed.SendAsync(id, DatasetBed.PageView("/domains"));
        }

        var (dataset, text) = await bed.DatasetAsync(Recipient);

        Assert.Empty(DatasetBed.Rows(text));
        Assert.Empty(dataset.SubjectIds);
        Assert.Equal(9, dataset.Result.Suppressed);
        Assert.Equal(1, dataset.Result.InformationLoss);
    }
}
