using Konzen.Privacy.Audit;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Residency;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Residency;

/// <summary>
/// S2.4: a transfer out of the subject's region is refused unless the policy declares it and the
/// subject gave separate consent to its current notice (purpose, recipient, security measures, risks).
/// </summary>
public sealed class TransferGateTests
{
    private const string Actor = "staff:test";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.4")]
    public async Task Decide_KonzenPolicy_RefusesEveryDestinationOutsideTheRegion(DatabaseProvider provider)
    {
        await using var bed = await ResidencyBed.CreateAsync(provider);
        await using var scope = bed.StartWithShippedPolicy().CreateScope();
        var subjectId = await bed.SubjectAsync("CN");
        var gate = scope.ServiceProvider.GetRequiredService<TransferGate>();

        var refusals = new List<TransferDecision>();
        foreach (var (region, recipient, purpose) in new[]
        {
            ("SG", "advertisers", "analytics.reporting.ad_performance"),
            ("US", "advertising-agents", "marketing.advertising.profiling"),
            ("HK", "cloud-backup", "essential.service.operations.backup"),
        })
        {
            refusals.Add(await gate.DecideAsync(subjectId, region, recipient, purpose, ["user.device"], Ct));
        }

        var within = await gate.DecideAsync(subjectId, "CN", "advertisers", "analytics.reporting.ad_performance", ["user.device"], Ct);

        Assert.Empty(scope.ServiceProvider.GetRequiredService<TransferNotices>().All);
        Assert.All(refusals, d => Assert.Equal((false, TransferReason.NotDeclared, "S2.4"), (d.Allowed, d.Reason, d.Clause)));
        Assert.Equal(
            "The policy declares no transfer from CN to SG for this recipient, purpose and information; transfers out of CN are refused.",
            refusals[0].Detail);
        Assert.Equal((true, TransferReason.WithinRegion, "S2.3"), (within.Allowed, within.Reason, within.Clause));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.4")]
    public async Task Decide_DeclaredTransfer_RefusedUntilSeparateConsentAndAgainAfterWithdrawal(DatabaseProvider provider)
    {
        await using var bed = await ResidencyBed.CreateAsync(provider);
        await using var scope = bed.Start().CreateScope();
        var subjectId = await bed.SubjectAsync("CN");
        var gate = scope.ServiceProvider.GetRequiredService<TransferGate>();
        var notice = scope.ServiceProvider.GetRequiredService<TransferNotices>().Find(TransferPolicy.TransferId)!;
        // The purpose's own consent is not the transfer's: it alone does not allow the transfer.
        await GrantPurposeAsync(scope.ServiceProvider, subjectId);

        var before = await DecideAsync(gate, subjectId);
        var consented = await gate.RecordConsentAsync(subjectId, TransferPolicy.TransferId, true, notice.ZhCn.Hash, Actor, Ct);
        var after = await DecideAsync(gate, subjectId);
        var withdrawn = await gate.RecordConsentAsync(subjectId, TransferPolicy.TransferId, false, null, Actor, Ct);
        var afterWithdrawal = await DecideAsync(gate, subjectId);

        Assert.Equal((false, TransferReason.NotConsented, "S2.4", TransferPolicy.TransferId), (before.Allowed, before.Reason, before.Clause, before.TransferId));
        Assert.Equal(TransferConsentRefusal.None, consented.Refusal);
        Assert.Equal((true, TransferReason.Consented, "S2.4"), (after.Allowed, after.Reason, after.Clause));
        Assert.Equal(TransferConsentRefusal.None, withdrawn.Refusal);
        Assert.Equal((false, TransferReason.NotConsented), (afterWithdrawal.Allowed, afterWithdrawal.Reason));
        await using var db = bed.Store.NewDataContext();
        var rows = await db.Set<TransferConsent>().OrderBy(c => c.Id).ToListAsync(Ct);
        Assert.Equal([(true, notice.ZhCn.Hash, "zh-CN"), (false, null, null)], rows.Select(r => (r.Granted, r.NoticeHash, r.Language)));
        var audit = await db.Set<AuditEntry>().Where(e => e.Action.StartsWith("transfer.")).OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync(Ct);
        Assert.Equal(["transfer.consented", "transfer.withdrawn"], audit);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.4")]
    public async Task Decide_NoticeChangedAfterConsent_RefusedUntilConsentToTheNewNotice(DatabaseProvider provider)
    {
        await using var bed = await ResidencyBed.CreateAsync(provider);
        var subjectId = await bed.SubjectAsync("CN");
        string oldHash;
        await using (var scope = bed.Start().CreateScope())
        {
            await GrantPurposeAsync(scope.ServiceProvider, subjectId);
            oldHash = scope.ServiceProvider.GetRequiredService<TransferNotices>().Find(TransferPolicy.TransferId)!.En.Hash;
            await scope.ServiceProvider.GetRequiredService<TransferGate>().RecordConsentAsync(subjectId, TransferPolicy.TransferId, true, oldHash, Actor, Ct);
            Assert.True((await DecideAsync(scope.ServiceProvider.GetRequiredService<TransferGate>(), subjectId)).Allowed);
        }

        // The next policy version states the risks differently: the English notice, so its hash, changes.
        await using var changed = bed.Start(risks: "foreign authorities may demand access, and the recipient's country may change its laws").CreateScope();
        var gate = changed.ServiceProvider.GetRequiredService<TransferGate>();
        var notice = changed.ServiceProvider.GetRequiredService<TransferNotices>().Find(TransferPolicy.TransferId)!;
        var stale = await DecideAsync(gate, subjectId);
        var listed = (await gate.GetConsentsAsync(subjectId, Ct))[TransferPolicy.TransferId];
        var counts = await bed.CountsAsync();
        var replayed = await gate.RecordConsentAsync(subjectId, TransferPolicy.TransferId, true, oldHash, Actor, Ct);
        var countsAfterReplay = await bed.CountsAsync();
        await gate.RecordConsentAsync(subjectId, TransferPolicy.TransferId, true, notice.En.Hash, Actor, Ct);
        var renewed = await DecideAsync(gate, subjectId);

        Assert.NotEqual(oldHash, notice.En.Hash);
        Assert.Equal((false, TransferReason.NoticeChanged, "S2.4"), (stale.Allowed, stale.Reason, stale.Clause));
        Assert.Equal((true, false), (listed.Granted, listed.Current));
        Assert.Equal(TransferConsentRefusal.NoticeOutdated, replayed.Refusal);
        Assert.Equal(counts, countsAfterReplay);
        Assert.Equal((true, TransferReason.Consented), (renewed.Allowed, renewed.Reason));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.4")]
    public async Task Decide_ConsentedTransferButOtherRecipientPurposeCategoryOrRegion_Refused(DatabaseProvider provider)
    {
        await using var bed = await ResidencyBed.CreateAsync(provider);
        await using var scope = bed.Start().CreateScope();
        var subjectId = await bed.SubjectAsync("CN");
        var gate = scope.ServiceProvider.GetRequiredService<TransferGate>();
        await GrantPurposeAsync(scope.ServiceProvider, subjectId);
        await GrantPurposeAsync(scope.ServiceProvider, subjectId, "marketing.advertising.profiling");
        await gate.RecordConsentAsync(subjectId, TransferPolicy.TransferId, true,
            scope.ServiceProvider.GetRequiredService<TransferNotices>().Find(TransferPolicy.TransferId)!.En.Hash, Actor, Ct);

        var decisions = new[]
        {
            await gate.DecideAsync(subjectId, "SG", "advertising-agents", TransferPolicy.Purpose, TransferPolicy.Categories, Ct),
            await gate.DecideAsync(subjectId, "SG", TransferPolicy.Recipient, "marketing.advertising.profiling", ["user.device"], Ct),
            await gate.DecideAsync(subjectId, "SG", TransferPolicy.Recipient, TransferPolicy.Purpose, ["user.device", "user.behavior.browsing_history"], Ct),
            await gate.DecideAsync(subjectId, "US", TransferPolicy.Recipient, TransferPolicy.Purpose, ["user.device"], Ct),
        };
        var declared = await gate.DecideAsync(subjectId, "SG", TransferPolicy.Recipient, TransferPolicy.Purpose, ["user.behavior.clicks"], Ct);

        Assert.All(decisions, d => Assert.Equal((false, TransferReason.NotDeclared), (d.Allowed, d.Reason)));
        Assert.True(declared.Allowed);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.4")]
    public async Task Decide_TransferConsentedButPurposeWithdrawn_Refused(DatabaseProvider provider)
    {
        await using var bed = await ResidencyBed.CreateAsync(provider);
        await using var scope = bed.Start().CreateScope();
        var subjectId = await bed.SubjectAsync("CN");
        var gate = scope.ServiceProvider.GetRequiredService<TransferGate>();
        await gate.RecordConsentAsync(subjectId, TransferPolicy.TransferId, true,
            scope.ServiceProvider.GetRequiredService<TransferNotices>().Find(TransferPolicy.TransferId)!.En.Hash, Actor, Ct);

        var decision = await DecideAsync(gate, subjectId);

        Assert.Equal((false, TransferReason.PurposeNotAllowed, "S4.6"), (decision.Allowed, decision.Reason, decision.Clause));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.4")]
    public async Task RecordConsent_UnknownTransferOrNoticeOrSubject_RefusedAndStoreUnchanged(DatabaseProvider provider)
    {
        await using var bed = await ResidencyBed.CreateAsync(provider);
        await using var scope = bed.Start().CreateScope();
        var subjectId = await bed.SubjectAsync("CN");
        var gate = scope.ServiceProvider.GetRequiredService<TransferGate>();
        var hash = scope.ServiceProvider.GetRequiredService<TransferNotices>().Find(TransferPolicy.TransferId)!.En.Hash;
        var before = await bed.CountsAsync();

        var refusals = new[]
        {
            (await gate.RecordConsentAsync(subjectId, "us-cloud", true, hash, Actor, Ct)).Refusal,
            (await gate.RecordConsentAsync(subjectId, TransferPolicy.TransferId, true, null, Actor, Ct)).Refusal,
            (await gate.RecordConsentAsync(subjectId, TransferPolicy.TransferId, true, new string('0', 64), Actor, Ct)).Refusal,
            (await gate.RecordConsentAsync(Guid.NewGuid(), TransferPolicy.TransferId, true, hash, Actor, Ct)).Refusal,
        };

        Assert.Equal(
            [TransferConsentRefusal.UnknownTransfer, TransferConsentRefusal.NoticeOutdated, TransferConsentRefusal.NoticeOutdated, TransferConsentRefusal.UnknownSubject],
            refusals);
        Assert.Equal(before, await bed.CountsAsync());
    }

    [Fact]
    [Trait("Clause", "S2.4")]
    public void Notices_DeclaredTransfer_NameRegionsPurposeRecipientMeasuresAndRisksInBothLanguages()
    {
        var policy = CompiledPolicy.Compile(PolicyLoader.Load(TransferPolicy.Text(), "transfer.policy.yaml").Policy!);

        var transfer = Assert.Single(new TransferNotices(policy).All);

        Assert.Equal(
            """
            Transfer of your personal information from mainland China to Singapore
            Recipient: advertisers
            Purposes: advertising measurement
            Personal information: device information, click information
            Security measures: aggregated reports only, encrypted in transit and at rest, under a data processing agreement
            Risks: authorities outside mainland China may demand access to the information

            """,
            transfer.En.Text);
        Assert.Contains("接收方：广告主", transfer.ZhCn.Text, StringComparison.Ordinal);
        Assert.Contains("安全风险：中国境外的机关可能要求访问这些信息", transfer.ZhCn.Text, StringComparison.Ordinal);
        Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(transfer.ZhCn.Text))),
            transfer.ZhCn.Hash);
        Assert.NotEqual(transfer.En.Hash, transfer.ZhCn.Hash);
    }

    private static Task<TransferDecision> DecideAsync(TransferGate gate, Guid subjectId) =>
        gate.DecideAsync(subjectId, TransferPolicy.Region, TransferPolicy.Recipient, TransferPolicy.Purpose, TransferPolicy.Categories, Ct);

    private static async Task GrantPurposeAsync(IServiceProvider services, Guid subjectId, string purpose = TransferPolicy.Purpose)
    {
        var change = await services.GetRequiredService<ConsentLedger>().RecordAsync(subjectId, purpose, true, ConsentMethod.Api, null, Actor, Ct);
        Assert.True(change.Recorded);
    }
}
