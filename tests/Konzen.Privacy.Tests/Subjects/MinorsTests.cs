using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Tests.Sharing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Subjects;

/// <summary>The rules for minors (S8.1) where no HTTP is involved: the bulk state read and the advertiser dataset.</summary>
public sealed class MinorsTests
{
    private const string Profiling = "marketing.advertising.profiling";
    private const string Recipient = "acme-ads";

    private static readonly DateOnly Adult = new(1990, 5, 1);

    private static readonly CompiledPolicy Policy = CompiledPolicy.Compile(PolicyLoader.LoadDefault());

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateOnly Today => DateOnly.FromDateTime(DatasetBed.Now.UtcDateTime);

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S8.1")]
    public async Task AdvertiserDataset_RegisteredMinorWithAGrantOnRecord_NeverIncludedAndItsEventsDropped(DatabaseProvider provider)
    {
        await using var bed = await DatasetBed.StartAsync(provider);
        var adults = new List<Guid>();
        for (var i = 0; i < 11; i++)
        {
            var id = await bed.NewSubjectAsync(Adult.AddDays(i), Profiling);
            await bed.SendAsync(id, DatasetBed.PageView($"/p/n{i}"));
            adults.Add(id);
        }

        // A minor's account with a grant written straight into the ledger table, past every check the ledger makes.
        var minor = await bed.NewSubjectAsync(Today.AddYears(-16));
        await MarkMinorAsync(bed, minor, guardianVerified: true);
        await ForceGrantAsync(bed, minor, Profiling);
        await bed.SendAsync(minor, DatasetBed.PageView("/p/minor"));

        var (dataset, text) = await bed.DatasetAsync(Recipient);

        Assert.Equal(adults.Order(), dataset.SubjectIds.Order());
        Assert.DoesNotContain("/p/minor", text, StringComparison.Ordinal);
        await using var db = bed.Store.NewDataContext();
        Assert.Equal(11, await db.Set<Privacy.Collection.LogEvent>().CountAsync(Ct));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S8.1")]
    public async Task GetStatesAsync_MinorsAmongAdults_CarryTheSameTraitsAsTheSingleRead(DatabaseProvider provider)
    {
        await using var bed = await DatasetBed.StartAsync(provider);
        var adult = await bed.NewSubjectAsync(Adult);
        var teen = await bed.NewSubjectAsync(Today.AddYears(-16));
        var child = await bed.NewSubjectAsync(Today.AddYears(-12));
        var grownUp = await bed.NewSubjectAsync(Today.AddYears(-18));
        await MarkMinorAsync(bed, teen, guardianVerified: false);
        await MarkMinorAsync(bed, child, guardianVerified: true);
        await MarkMinorAsync(bed, grownUp, guardianVerified: true);

        await using var scope = bed.Services.CreateScope();
        var ledger = scope.ServiceProvider.GetRequiredService<ConsentLedger>();
        var states = await ledger.GetStatesAsync([adult, teen, child, grownUp], Ct);

        Assert.Equal(SubjectTraits.None, states[adult].Traits);
        Assert.Equal(SubjectTraits.Minor, states[teen].Traits);
        Assert.Equal(SubjectTraits.Minor | SubjectTraits.Child | SubjectTraits.GuardianConsent, states[child].Traits);
        Assert.Equal(SubjectTraits.None, states[grownUp].Traits);
        foreach (var (id, state) in states)
        {
            Assert.Equal(state, await ledger.GetStateAsync(id, Ct));
        }
    }

    [Theory]
    [InlineData("2012-06-15", "2026-06-14", SubjectTraits.Minor | SubjectTraits.Child)]
    [InlineData("2012-06-15", "2026-06-15", SubjectTraits.Minor)]
    [InlineData("2008-06-15", "2026-06-14", SubjectTraits.Minor)]
    [InlineData("2008-06-15", "2026-06-15", SubjectTraits.None)]
    [InlineData("2008-02-29", "2026-02-28", SubjectTraits.Minor)]
    [InlineData("2008-02-29", "2026-03-01", SubjectTraits.None)]
    [Trait("Clause", "S8.1")]
    public void Standing_AroundTheBirthdays_ChangesOnTheDay(string born, string today, SubjectTraits expected)
    {
        var traits = new MinorTraits(null!, null!, Policy, TimeProvider.System);

        var standing = traits.Standing(Day(born), Day(today), guardianVerified: false);

        Assert.Equal(expected, standing.Traits);
        Assert.Equal(Day(born) == new DateOnly(2008, 2, 29) ? new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero) : new DateTimeOffset(Day(born).AddYears(18).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), standing.AdultFrom);
    }

    [Fact]
    [Trait("Clause", "S8.1")]
    public void Standing_OfAMinorsAccountWithoutAReadableBirthDate_FailsClosedAsAChildForEver()
    {
        var traits = new MinorTraits(null!, null!, Policy, TimeProvider.System);

        var standing = traits.Standing(null, new DateOnly(2040, 1, 1), guardianVerified: true);

        Assert.Equal(SubjectTraits.Minor | SubjectTraits.Child | SubjectTraits.GuardianConsent, standing.Traits);
        Assert.Equal(DateTimeOffset.MaxValue, standing.AdultFrom);
    }

    private static DateOnly Day(string text) => DateOnly.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    private static async Task MarkMinorAsync(DatasetBed bed, Guid subjectId, bool guardianVerified)
    {
        await using var db = bed.Store.NewDataContext();
        db.Set<MinorAccount>().Add(new MinorAccount { SubjectId = subjectId, CreatedAt = DatasetBed.Now, GuardianVerifiedAt = guardianVerified ? DatasetBed.Now : null });
        await db.SaveChangesAsync(Ct);
    }

    private static async Task ForceGrantAsync(DatasetBed bed, Guid subjectId, string purpose)
    {
        await using var db = bed.Store.NewDataContext();
        db.Set<ConsentEvent>().Add(new ConsentEvent
        {
            SubjectId = subjectId,
            PurposeKey = purpose,
            Granted = true,
            PolicyHash = new string('a', 64),
            Method = ConsentMethod.Api,
            At = DatasetBed.Now,
            ReceiptId = Guid.CreateVersion7(),
            Receipt = "forced",
        });
        await db.SaveChangesAsync(Ct);
    }
}
