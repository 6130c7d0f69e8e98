using Konzen.Privacy.Audit;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Policy.Versions;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Konzen.Privacy.Tests.Notices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Policy.Versions;

/// <summary>
/// Publishing policy versions (S7.1) and what a new version does to consent (S7.2), on a fake clock
/// that starts on 2026-12-01 08:00 UTC, with the shipped policy (notice period 15 days) as version 1.
/// </summary>
public sealed class PolicyVersionsTests
{
    private static readonly DateOnly FirstAllowedDay = new(2026, 12, 17);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S7.1")]
    public async Task Publish_FileThatDoesNotLoad_RefusedWithTheLoadersErrorsAndStoreUnchanged(DatabaseProvider provider)
    {
        await using var bed = await StartAsync(provider);
        await bed.AddSubjectAsync(Ct, email: "one@example.cn");
        var before = await CountsAsync(bed);
        var broken = ChangedPolicy.NotMaterial().Replace("  notice_days: 15\n", "  notice_days: fifteen\n", StringComparison.Ordinal);

        var result = await PublishAsync(bed, broken, FirstAllowedDay);

        Assert.Equal(PublishRefusal.Invalid, result.Refusal);
        Assert.Equal(PolicyLoader.Load(broken, "next.policy.yaml").Errors, result.Errors);
        Assert.Contains(result.Errors, e => e.Message.Contains("notice_days", StringComparison.Ordinal));
        Assert.Equal(before, await CountsAsync(bed));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S7.1")]
    public async Task Publish_EffectiveInsideTheNoticePeriod_RefusedWithTheEarliestDayAndStoreUnchanged(DatabaseProvider provider)
    {
        await using var bed = await StartAsync(provider);
        await bed.AddSubjectAsync(Ct, email: "one@example.cn");
        var before = await CountsAsync(bed);

        // Now is 2026-12-01 08:00; fifteen days on is 2026-12-16 08:00, so the first whole day is the 17th.
        var early = await PublishAsync(bed, ChangedPolicy.NotMaterial(), FirstAllowedDay.AddDays(-1));
        var today = await PublishAsync(bed, ChangedPolicy.NotMaterial(), new DateOnly(2026, 12, 1));

        Assert.Equal((PublishRefusal.TooEarly, FirstAllowedDay), (early.Refusal, early.Earliest));
        Assert.Equal(PublishRefusal.TooEarly, today.Refusal);
        Assert.Equal(before, await CountsAsync(bed));

        // The same file on the first allowed day is published: the date was the only reason.
        Assert.True((await PublishAsync(bed, ChangedPolicy.NotMaterial(), FirstAllowedDay)).Published);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Publish_SameContentOrEarlierDayThanTheLatest_RefusedAndStoreUnchanged(DatabaseProvider provider)
    {
        await using var bed = await StartAsync(provider);
        Assert.True((await PublishAsync(bed, ChangedPolicy.Material(), FirstAllowedDay.AddDays(5))).Published);
        var before = await CountsAsync(bed);

        Assert.Equal(PublishRefusal.AlreadyPublished, (await PublishAsync(bed, ChangedPolicy.Material(), FirstAllowedDay.AddDays(9))).Refusal);
        Assert.Equal(PublishRefusal.AlreadyPublished, (await PublishAsync(bed, PolicyLoaderText(), FirstAllowedDay.AddDays(9))).Refusal);
        Assert.Equal(PublishRefusal.NotAfterLatest, (await PublishAsync(bed, ChangedPolicy.NotMaterial(), FirstAllowedDay)).Refusal);
        Assert.Equal(before, await CountsAsync(bed));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S7.1")]
    public async Task Publish_WithSubjects_StoresAuditsAndTellsEverySubjectBeforeTheEffectiveDate(DatabaseProvider provider)
    {
        await using var bed = await StartAsync(provider);
        var english = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            english.Add(await bed.AddSubjectAsync(Ct, email: $"subject{i}@example.cn"));
        }

        var chinese = await bed.AddSubjectAsync(Ct, email: "li.na@example.cn", language: PolicyLanguage.ZhCn);

        var result = await PublishAsync(bed, ChangedPolicy.Material(), FirstAllowedDay);

        var version = result.Version!;
        Assert.Equal((2, "1.1.0", PolicyVersions.StartOf(FirstAllowedDay), "staff:ana", 5), (version.Sequence, version.Number, version.EffectiveAt, version.PublishedBy, version.Notified));
        var stored = Assert.Single(await bed.RowsAsync<PublishedPolicy>(Ct), p => p.Sequence == 2);
        Assert.Equal((ChangedPolicy.Material(), PolicyLoader.Load(ChangedPolicy.Material(), "x").Policy!.Version.ContentHash, 5), (stored.Yaml, stored.ContentHash, stored.Notified));
        var audit = await bed.RowsAsync<AuditEntry>(Ct);
        Assert.Contains(version.ContentHash, Assert.Single(audit, e => e.Action == "policy.published").Detail, StringComparison.Ordinal);
        Assert.Single(audit, e => e.Action == "policy.notified");

        // Every subject has the notice in the privacy center and by mail, in their language, before the version takes effect.
        foreach (var subject in english.Append(chinese))
        {
            var notice = Assert.Single(await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().InAppAsync(subject, Ct)));
            Assert.Equal("policy-version", notice.Template);
            Assert.Contains("1.1.0", notice.Body, StringComparison.Ordinal);
            Assert.Contains("2026-12-17", notice.Body, StringComparison.Ordinal);
            Assert.Contains("/policy/changes", notice.Body, StringComparison.Ordinal);
        }

        await bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct));
        await bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct));
        var mails = await bed.Smtp.WaitForAsync(5, Deadline);
        Assert.True(bed.Time.GetUtcNow() < version.EffectiveAt);
        var zh = Assert.Single(mails, m => m.To.Mailboxes.Single().Address == "li.na@example.cn");
        Assert.Equal("我们的隐私政策将于 2026-12-17 变更", zh.Subject);
        Assert.Contains("第 1.1.0 版将于 2026-12-17 生效", zh.TextBody, StringComparison.Ordinal);
        Assert.All(mails.Where(m => m != zh), m => Assert.Contains("Version 1.1.0 of our privacy policy takes effect on 2026-12-17", m.TextBody, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S7.1")]
    public async Task TellOfPending_SubjectRegisteredAfterPublication_ToldAtFirstUseOnceBeforeTheEffectiveDate(DatabaseProvider provider)
    {
        await using var bed = await StartAsync(provider);
        var earlier = await bed.AddSubjectAsync(Ct, email: "one@example.cn");
        await PublishAsync(bed, ChangedPolicy.NotMaterial(), FirstAllowedDay);
        bed.Time.Advance(TimeSpan.FromDays(3));
        var later = await bed.AddSubjectAsync(Ct, email: "two@example.cn", language: PolicyLanguage.ZhCn);
        Task<bool> UseAsync(Guid subject) => bed.RunAsync(s => s.GetRequiredService<PolicyAcceptances>().TellOfPendingAsync(subject, Ct));

        Assert.False(await UseAsync(earlier));
        Assert.True(await UseAsync(later));
        Assert.False(await UseAsync(later));
        bed.Time.Advance(TimeSpan.FromDays(14));
        Assert.False(await UseAsync(Guid.NewGuid()));

        var notices = (await bed.RowsAsync<Notification>(Ct)).Where(n => n.Channel == NotificationChannel.InApp && n.TemplateKey == "policy-version").ToList();
        Assert.Equal(new[] { earlier, later }.Order(), notices.Select(n => n.SubjectId).Order());
        var zh = Assert.Single(await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().InAppAsync(later, Ct)));
        Assert.Contains("第 1.0.1 版将于 2026-12-17 生效", zh.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S7.1")]
    public async Task Current_BeforeAndAfterTheEffectiveDate_OldVersionDecidesThenTheNewWithoutRestart(DatabaseProvider provider)
    {
        await using var bed = await StartAsync(provider);
        var subject = await bed.AddSubjectAsync(Ct, email: "one@example.cn");
        var first = bed.Services.GetRequiredService<CompiledPolicy>().Version.ContentHash;
        var published = await PublishAsync(bed, ChangedPolicy.Material(), FirstAllowedDay);

        // A second node over the same store that published nothing: it reads the stored versions.
        var otherFolder = Directory.CreateTempSubdirectory("konzen-node-").FullName;
        var other = new VaultServices(bed.Store, otherFolder, bed.Time);
        await using (var scope = other.CreateScope())
        {
            await other.Root.GetRequiredService<PolicyVersions>().RefreshAsync(scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), Ct);
        }

        bed.Time.Advance(PolicyVersions.StartOf(FirstAllowedDay) - bed.Time.GetUtcNow() - TimeSpan.FromTicks(1));
        var before = await DecideAsync(bed, subject, ChangedPolicy.NewPurpose);
        Assert.Equal(first, before.Hash);
        Assert.Equal(DecisionReason.NotDeclared, before.Decision.Reason);
        Assert.Equal(first, other.Root.GetRequiredService<CompiledPolicy>().Version.ContentHash);

        bed.Time.Advance(TimeSpan.FromTicks(1));
        var after = await DecideAsync(bed, subject, ChangedPolicy.NewPurpose);
        Assert.Equal(published.Version!.ContentHash, after.Hash);
        Assert.Equal((DecisionReason.NotConsented, "1.1.0"), (after.Decision.Reason, after.Decision.PolicyVersion));
        Assert.Equal(published.Version.ContentHash, other.Root.GetRequiredService<CompiledPolicy>().Version.ContentHash);
        await other.DisposeAsync();
        Directory.Delete(otherFolder, recursive: true);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S7.2")]
    public async Task MaterialChange_AfterTheEffectiveDate_NewPurposeDeniedUntilTheSubjectConsents(DatabaseProvider provider)
    {
        await using var bed = await StartAsync(provider);
        var subject = await RegisteredUnderTheFirstVersionAsync(bed, "one@example.cn");
        var refuser = await RegisteredUnderTheFirstVersionAsync(bed, "two@example.cn");
        await bed.ConsentAsync(subject, ChangedPolicy.GainsCategory, granted: true, Ct);
        await bed.ConsentAsync(refuser, ChangedPolicy.GainsCategory, granted: true, Ct);
        Assert.True((await DecideAsync(bed, subject, ChangedPolicy.GainsCategory)).Decision.Allowed);
        await PublishAsync(bed, ChangedPolicy.Material(), FirstAllowedDay);

        // Until the effective date the old consent holds.
        Assert.True((await DecideAsync(bed, subject, ChangedPolicy.GainsCategory)).Decision.Allowed);
        bed.Time.Advance(TimeSpan.FromDays(16));

        // After it, what is new starts off: the new purpose, and the purpose that gained a category, whose old consent does not cover it.
        foreach (var id in (Guid[])[subject, refuser])
        {
            Assert.Equal(DecisionReason.NotConsented, (await DecideAsync(bed, id, ChangedPolicy.NewPurpose)).Decision.Reason);
            Assert.Equal(DecisionReason.NotConsented, (await DecideAsync(bed, id, ChangedPolicy.GainsCategory)).Decision.Reason);
            Assert.True((await DecideAsync(bed, id, "essential.service")).Decision.Allowed);
        }

        var status = (await bed.RunAsync(s => s.GetRequiredService<PolicyAcceptances>().StatusAsync(subject, Ct)))!;
        Assert.Equal("1.1.0", status.Version);
        Assert.Equal(
            ["analytics.reporting", "analytics.reporting.ad_performance", ChangedPolicy.NewPurpose, "personalize"],
            status.NeedsConsent.Select(n => n.Purpose));
        Assert.NotEmpty(Assert.Single(status.NeedsConsent, n => n.Purpose == ChangedPolicy.GainsCategory).Reasons);

        // The subject consents under the new version; the other refuses: only the first gets the purposes, both keep the service.
        await bed.ConsentAsync(subject, ChangedPolicy.NewPurpose, granted: true, Ct);
        await bed.ConsentAsync(subject, ChangedPolicy.GainsCategory, granted: true, Ct);
        await bed.ConsentAsync(refuser, ChangedPolicy.NewPurpose, granted: false, Ct);
        await bed.ConsentAsync(refuser, ChangedPolicy.GainsCategory, granted: false, Ct);
        Assert.True((await DecideAsync(bed, subject, ChangedPolicy.NewPurpose)).Decision.Allowed);
        Assert.True((await DecideAsync(bed, subject, ChangedPolicy.GainsCategory)).Decision.Allowed);
        Assert.False((await DecideAsync(bed, refuser, ChangedPolicy.NewPurpose)).Decision.Allowed);
        Assert.True((await DecideAsync(bed, refuser, "essential.service")).Decision.Allowed);
        var decided = (await bed.RunAsync(s => s.GetRequiredService<PolicyAcceptances>().StatusAsync(refuser, Ct)))!;
        Assert.DoesNotContain(decided.NeedsConsent, n => n.Purpose is ChangedPolicy.NewPurpose or ChangedPolicy.GainsCategory);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S7.2")]
    public async Task NonMaterialChange_FirstUseAfterTheEffectiveDate_RecordsAcceptanceOnceAndKeepsConsent(DatabaseProvider provider)
    {
        await using var bed = await StartAsync(provider);
        var subject = await RegisteredUnderTheFirstVersionAsync(bed, "one@example.cn");
        await bed.ConsentAsync(subject, "analytics.reporting", granted: true, Ct);
        var published = await PublishAsync(bed, ChangedPolicy.NotMaterial(), FirstAllowedDay);
        Task<bool> UseAsync() => bed.RunAsync(s => s.GetRequiredService<PolicyAcceptances>().RecordUseAsync(subject, ConsentMethod.Web, Ct));

        Assert.False(await UseAsync());
        bed.Time.Advance(TimeSpan.FromDays(16));
        Assert.True(await UseAsync());
        Assert.False(await UseAsync());
        bed.Time.Advance(TimeSpan.FromDays(1));
        Assert.False(await UseAsync());

        var accepted = Assert.Single(await bed.RowsAsync<ConsentEvent>(Ct), e => e.Kind == ConsentEventKind.PolicyAccepted);
        Assert.Equal((subject, published.Version!.ContentHash, string.Empty, PolicyVersions.StartOf(FirstAllowedDay).AddHours(8)),
            (accepted.SubjectId, accepted.PolicyHash, accepted.PurposeKey, accepted.At));
        Assert.Single(await bed.RowsAsync<AuditEntry>(Ct), e => e.Action == "policy.accepted" && e.SubjectId == subject);
        Assert.True((await DecideAsync(bed, subject, "analytics.reporting")).Decision.Allowed);
        var status = (await bed.RunAsync(s => s.GetRequiredService<PolicyAcceptances>().StatusAsync(subject, Ct)))!;
        Assert.Equal(("1.0.1", (DateTimeOffset?)accepted.At, 3), (status.Version, status.AcceptedAt, status.Changes.Count));
        Assert.Empty(status.NeedsConsent);
    }

    private static async Task<NoticesBed> StartAsync(DatabaseProvider provider)
    {
        var bed = await NoticesBed.CreateAsync(provider, Ct);

        // What the host does on its first start: the shipped policy becomes version 1.
        await bed.RunAsync(s => s.GetRequiredService<PolicyPublisher>().EnsureFirstVersionAsync(Ct));
        return bed;
    }

    private static Task<PublishResult> PublishAsync(NoticesBed bed, string yaml, DateOnly effective) =>
        bed.RunAsync(s => s.GetRequiredService<PolicyPublisher>().PublishAsync(yaml, "next.policy.yaml", effective, "staff:ana", Ct));

    private static string PolicyLoaderText() => PolicyLoader.ReadDefaultText();

    /// <summary>A subject as registration leaves it: it accepted the version in force by its content hash.</summary>
    private static async Task<Guid> RegisteredUnderTheFirstVersionAsync(NoticesBed bed, string email)
    {
        var subject = await bed.AddSubjectAsync(Ct, email: email);
        var hash = bed.Services.GetRequiredService<CompiledPolicy>().Version.ContentHash;
        await using var db = bed.Store.NewDataContext();
        await db.Subjects.Where(s => s.Id == subject).ExecuteUpdateAsync(u => u.SetProperty(s => s.AcceptedPolicyHash, hash), Ct);
        return subject;
    }

    /// <summary>The gate's decision for the purpose's first category, in a new scope as a request would make it.</summary>
    private static Task<(PurposeDecision Decision, string Hash)> DecideAsync(NoticesBed bed, Guid subject, string purposeKey) => bed.RunAsync(async s =>
    {
        var policy = s.GetRequiredService<CompiledPolicy>();
        var purpose = policy.Purpose(purposeKey);
        var category = purpose == PurposeId.Undeclared ? CategoryId.Undeclared : policy.Category(policy[purpose].Categories[0]);
        var decision = await s.GetRequiredService<ConsentLedger>().DecideAsync(subject, category, purpose, Ct);
        return (decision, policy.Version.ContentHash);
    });

    private static async Task<(int Versions, int Audit, int Notifications, int Events)> CountsAsync(NoticesBed bed) =>
        ((await bed.RowsAsync<PublishedPolicy>(Ct)).Count, (await bed.RowsAsync<AuditEntry>(Ct)).Count,
         (await bed.RowsAsync<Notification>(Ct)).Count, (await bed.RowsAsync<ConsentEvent>(Ct)).Count);
}
