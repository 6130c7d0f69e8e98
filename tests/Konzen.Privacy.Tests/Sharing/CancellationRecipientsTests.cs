using System.Runtime.Versioning;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Rights;
using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Tests.Collection;
using Konzen.Privacy.Tests.Rights;
using Microsoft.Extensions.DependencyInjection;
using static Konzen.Privacy.Tests.Sharing.SharingBed;

namespace Konzen.Privacy.Tests.Sharing;

// Key files are protected by Unix file modes; the service runs on Linux.
[UnsupportedOSPlatform("windows")]
public sealed class CancellationRecipientsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.4")]
    public async Task Complete_SubjectWhoseDataWasDisclosed_EveryRecipientGetsADeletionNoticeAndIsInTheCertificate(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        await ProcessorAsync(bed, "acme-measure");
        await ProcessorAsync(bed, "beta-measure");
        await ProcessorAsync(bed, "never-received");
        var subject = await CancellationBed.NewSubjectAsync(bed);
        await CancellationBed.FillAsync(bed, subject, "li.wei.shares@example.cn", "+8613800138001", "/domains/shared");
        var other = await bed.NewSubjectAsync(AdPerformance);
        await WithAsync(bed, s => s.GetRequiredService<ConsentLedger>().RecordAsync(subject, AdPerformance, true, ConsentMethod.Web, null, $"subject:{subject}", Ct));
        Assert.True((await DiscloseAsync(bed, Request("acme-measure", DisclosureBasis.Consent, AdPerformance, ["user.device"], [subject, other]))).Allowed);
        Assert.True((await DiscloseAsync(bed, Request("acme-measure", DisclosureBasis.Consent, AdPerformance, ["user.device"], [subject]))).Allowed);
        Assert.True((await DiscloseAsync(bed, Request("beta-measure", DisclosureBasis.Consent, AdPerformance, ["user.device"], [subject]))).Allowed);
        Assert.True((await DiscloseAsync(bed, Request("never-received", DisclosureBasis.Consent, AdPerformance, ["user.device"], [other]))).Allowed);
        var scheduled = await CancellationBed.ScheduleAsync(bed, subject);

        bed.Time.Advance(TimeSpan.FromDays(15));
        await CancellationBed.SweepAsync(bed);
        var fetched = await WithAsync(bed, s => s.GetRequiredService<Cancellations>().FetchCertificateAsync(scheduled.CancellationId, scheduled.CertificateToken, Ct));
        var claims = CancellationBed.VerifyJws(fetched.Value!, bed.Services.Root.GetRequiredService<ReceiptSigner>().Jwks());
        var acme = await WithAsync(bed, s => s.GetRequiredService<DeletionNotices>().ForRecipientAsync("acme-measure", Ct));
        var beta = await WithAsync(bed, s => s.GetRequiredService<DeletionNotices>().ForRecipientAsync("beta-measure", Ct));
        var never = await WithAsync(bed, s => s.GetRequiredService<DeletionNotices>().ForRecipientAsync("never-received", Ct));

        Assert.Equal(["acme-measure", "beta-measure"], claims.GetProperty("recipientsNotified").EnumerateArray().Select(r => r.GetString()));
        var notice = Assert.Single(acme);
        Assert.Equal((subject, scheduled.CancellationId, 2), (notice.SubjectId, notice.CancellationId, notice.Disclosures));
        Assert.Single(beta);
        Assert.Empty(never);
        Assert.Contains("recipients notified: acme-measure,beta-measure", Assert.Single(await AuditAsync(bed, "subject.cancelled")).Detail, StringComparison.Ordinal);
    }
}
