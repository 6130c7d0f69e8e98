using Konzen.Privacy.Consent;
using Konzen.Privacy.Rights;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Tests.Collection;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Rights;

public sealed class CorrectionTests
{
    private const string OldPhone = "+8613800138001";
    private const string NewPhone = "+8613700137007";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    public async Task Verify_WithTheCodeSentToTheNewNumber_SwapsFieldAndIndexAndAuditsNoValue(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var subject = await CancellationBed.NewSubjectAsync(bed);
        await CancellationBed.FillAsync(bed, subject, "a.correct@example.cn", OldPhone, "/domains/a");

        var started = await CancellationBed.WithAsync(bed, s => s.GetRequiredService<Corrections>().StartAsync(subject, null, "137 0013 7007", Ct));
        Assert.Equal(CorrectionRefusal.None, started.Refusal);
        var sms = (await CancellationBed.WithAsync(bed, s => SmsOutbox.ReadAsync(s.GetRequiredService<PrivacyDbContext>(), s.GetRequiredService<SubjectSecrets>(), 1, Ct)))[0];
        Assert.Equal(NewPhone, sms.To);
        var code = System.Text.RegularExpressions.Regex.Match(sms.Text, "[0-9]{6}").Value;

        // A wrong code changes nothing but the attempt count.
        var before = await bed.RawRowsAsync();
        var wrong = await CancellationBed.WithAsync(bed, s => s.GetRequiredService<Corrections>().VerifyAsync(subject, VerificationChannel.Phone, code == "000000" ? "000001" : "000000", Ct));
        Assert.Equal(CorrectionRefusal.InvalidCode, wrong.Refusal);
        var afterWrong = await bed.RawRowsAsync();
        Assert.Equal(before.Where(r => !r.StartsWith("correction_requests", StringComparison.Ordinal)), afterWrong.Where(r => !r.StartsWith("correction_requests", StringComparison.Ordinal)));
        Assert.Equal(OldPhone, await ReadPhoneAsync(bed, subject));

        var verified = await CancellationBed.WithAsync(bed, s => s.GetRequiredService<Corrections>().VerifyAsync(subject, VerificationChannel.Phone, code, Ct));

        Assert.Equal(CorrectionRefusal.None, verified.Refusal);
        Assert.Equal(NewPhone, await ReadPhoneAsync(bed, subject));
        await using var db = bed.Store.NewDataContext();
        await using var scope = bed.Services.CreateScope();
        var vault = scope.ServiceProvider.GetRequiredService<PersonalDataVault>();
        Assert.Equal(subject, await vault.FindByPhoneAsync(db, NewPhone, Ct));
        Assert.Null(await vault.FindByPhoneAsync(db, OldPhone, Ct));
        Assert.False(await db.Set<CorrectionRequest>().AnyAsync(Ct));
        var audit = await db.AuditEntries.AsNoTracking().ToListAsync(Ct);
        Assert.Contains(audit, a => a.Action == "contact.corrected" && a.SubjectId == subject);
        var text = string.Join("\n", audit.Select(a => $"{a.Action}|{a.Field}|{a.Detail}"));
        foreach (var value in new[] { OldPhone, NewPhone, "13700137007", "13800138001" })
        {
            Assert.DoesNotContain(value, text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    public async Task Start_WithANumberAnotherAccountHolds_AnswersSentButSendsAndStoresNothing(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var subject = await CancellationBed.NewSubjectAsync(bed);
        var other = await CancellationBed.NewSubjectAsync(bed);
        await CancellationBed.FillAsync(bed, subject, "a.correct@example.cn", OldPhone, "/domains/a");
        await CancellationBed.FillAsync(bed, other, "b.holder@example.cn", NewPhone, "/domains/b");

        var started = await CancellationBed.WithAsync(bed, s => s.GetRequiredService<Corrections>().StartAsync(subject, null, NewPhone, Ct));

        Assert.Equal(CorrectionRefusal.None, started.Refusal);
        await using var db = bed.Store.NewDataContext();
        Assert.False(await db.Set<SmsOutboxMessage>().AnyAsync(Ct));
        Assert.False(await db.Set<CorrectionRequest>().AnyAsync(Ct));
        Assert.Equal(OldPhone, await ReadPhoneAsync(bed, subject));
    }

    private static Task<string?> ReadPhoneAsync(EventBed bed, Guid subject) => CancellationBed.WithAsync(bed, async s =>
    {
        var state = await s.GetRequiredService<ConsentLedger>().GetStateAsync(subject, Ct);
        return (await s.GetRequiredService<PersonalDataVault>().ReadAsync(s.GetRequiredService<PrivacyDbContext>(), state, subject, PersonalDataVault.PhoneField, "essential.service", "test", Ct)).Value;
    });
}
