using Konzen.Privacy.Audit;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Tests.Notices;
using Konzen.Privacy.Vault;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Subjects;

/// <summary>Ages from the birth date in the vault, on the fake clock of <see cref="NoticesBed"/> (1 December 2026).</summary>
public sealed class SubjectAgesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task IsMinor_AroundTheEighteenthBirthday_TurnsFalseOnTheDay(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var minor = await bed.AddSubjectAsync(Ct, birthDate: "2008-12-02");
        var adult = await bed.AddSubjectAsync(Ct, birthDate: "2008-12-01");

        Assert.Equal(17, await bed.RunAsync(s => s.GetRequiredService<SubjectAges>().AgeAsync(minor, Ct)));
        Assert.True(await bed.RunAsync(s => s.GetRequiredService<SubjectAges>().IsMinorAsync(minor, Ct)));
        Assert.Equal(18, await bed.RunAsync(s => s.GetRequiredService<SubjectAges>().AgeAsync(adult, Ct)));
        Assert.False(await bed.RunAsync(s => s.GetRequiredService<SubjectAges>().IsMinorAsync(adult, Ct)));

        bed.Time.Advance(TimeSpan.FromDays(1));
        Assert.False(await bed.RunAsync(s => s.GetRequiredService<SubjectAges>().IsMinorAsync(minor, Ct)));

        // Every read of the birth date is on the record, for the service's purpose.
        var reads = (await bed.RowsAsync<AuditEntry>(Ct)).Where(e => e.Action == "field.read" && e.Field == SubjectRegistration.BirthDateField).ToList();
        Assert.Equal(5, reads.Count);
        Assert.All(reads, e => Assert.Equal((SubjectAges.Actor, SubjectAges.Purpose), (e.Actor, e.Purpose)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task IsMinor_WithoutABirthDate_FailsClosed(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);

        Assert.Null(await bed.RunAsync(s => s.GetRequiredService<SubjectAges>().AgeAsync(Guid.NewGuid(), Ct)));
        Assert.True(await bed.RunAsync(s => s.GetRequiredService<SubjectAges>().IsMinorAsync(Guid.NewGuid(), Ct)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task AgesAsync_ManySubjects_AgesEachAndAuditsEveryRead(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var minor = await bed.AddSubjectAsync(Ct, birthDate: "2008-12-02");
        var adult = await bed.AddSubjectAsync(Ct, birthDate: "1990-06-15");
        var unknown = Guid.NewGuid();

        var ages = await bed.RunAsync(s => s.GetRequiredService<SubjectAges>().AgesAsync([minor, adult, unknown], "test:batch", Ct));

        Assert.Equal(17, ages[minor]);
        Assert.Equal(36, ages[adult]);
        Assert.Null(ages[unknown]);
        var reads = (await bed.RowsAsync<AuditEntry>(Ct)).Where(e => e.Action == "field.read" && e.Actor == "test:batch").ToList();
        Assert.Equal(new[] { minor, adult, unknown }.Order(), reads.Select(e => e.SubjectId!.Value).Order());
        Assert.All(reads, e => Assert.Equal((SubjectRegistration.BirthDateField, SubjectAges.Purpose), (e.Field, e.Purpose)));

        // A subject the store does not know has no region the policy allows: the read is refused, and on record.
        Assert.StartsWith("denied:", Assert.Single(reads, e => e.SubjectId == unknown).Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task AgesAsync_AgainInTheSameUnitOfWork_OpensNothingTwice(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var minor = await bed.AddSubjectAsync(Ct, birthDate: "2008-12-02");
        var adult = await bed.AddSubjectAsync(Ct, birthDate: "1990-06-15");

        await using (var scope = bed.Services.CreateAsyncScope())
        {
            var ages = scope.ServiceProvider.GetRequiredService<SubjectAges>();
            await ages.AgesAsync([minor, adult], "test:first", Ct);
            var again = await ages.AgesAsync([minor, adult], "test:again", Ct);

            Assert.Equal((17, 36), (again[minor], again[adult]));
        }

        // A dataset and the disclosure of that same dataset are one read per subject, not two.
        var reads = (await bed.RowsAsync<AuditEntry>(Ct)).Where(e => e.Action == "field.read" && e.Field == SubjectRegistration.BirthDateField).ToList();
        Assert.Equal(["test:first", "test:first"], reads.Select(e => e.Actor));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S8.1")]
    public async Task AgesAsync_BirthDateCorrectedMeanwhile_ReadsItAfresh(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var subject = await bed.AddSubjectAsync(Ct, birthDate: "1990-06-15");

        await using var scope = bed.Services.CreateAsyncScope();
        var ages = scope.ServiceProvider.GetRequiredService<SubjectAges>();
        Assert.Equal(36, (await ages.AgesAsync([subject], "test:first", Ct))[subject]);

        // Corrected in another unit of work: the minor's rules must apply at once, not after this one ends.
        await bed.RunAsync(async s =>
        {
            var db = s.GetRequiredService<PrivacyDbContext>();
            await s.GetRequiredService<PersonalDataVault>().WriteAsync(db, subject, SubjectRegistration.BirthDateField, "2010-03-01", $"subject:{subject}", Ct);
        });

        Assert.Equal(16, (await ages.AgesAsync([subject], "test:again", Ct))[subject]);
        var reads = (await bed.RowsAsync<AuditEntry>(Ct)).Where(e => e.Action == "field.read" && e.Field == SubjectRegistration.BirthDateField).ToList();
        Assert.Equal(["test:first", "test:again"], reads.Select(e => e.Actor));
    }

    [Theory]
    [InlineData("2000-02-29", "2027-02-28", 26)]
    [InlineData("2000-02-29", "2027-03-01", 27)]
    [InlineData("2000-02-29", "2028-02-29", 28)]
    [InlineData("1990-05-17", "2026-05-16", 35)]
    [InlineData("1990-05-17", "2026-05-17", 36)]
    public void AgeOn_Birthdays_CountWholeYears(string birthDate, string today, int age) =>
        Assert.Equal(age, SubjectAges.AgeOn(DateOnly.Parse(birthDate, System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(today, System.Globalization.CultureInfo.InvariantCulture)));
}
