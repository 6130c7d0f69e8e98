using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Incidents;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Rights;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Tests.Notices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Incidents;

/// <summary>Security incidents (S3.3): recorded, the affected subjects found exactly, they and the privacy officer told, a report kept.</summary>
public sealed class SecurityIncidentTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S3.3")]
    public async Task Record_EmailAndClicksInTheWindow_FindsExactlyTheAffectedAndNotifiesThemAndTheOfficer(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var start = NoticesBed.Start;

        // In the window (start - 1 day to start + 1 hour): an email address, and clicks in the server logs.
        var withEmail = await bed.AddSubjectAsync(Ct, email: "zhang.wei@example.cn", language: PolicyLanguage.ZhCn);
        var clicker = await bed.AddSubjectAsync(Ct, phone: "+8613800000001");
        await bed.ConsentAsync(clicker, "analytics.reporting", true, Ct);
        Assert.Equal(1, (await ClickAsync(bed, clicker)).Stored);

        // Outside it: a phone number only (another category), clicks received after the window,
        // and an email address of an account opened after the window.
        var phoneOnly = await bed.AddSubjectAsync(Ct, phone: "+8613800000002");
        var lateClicker = await bed.AddSubjectAsync(Ct, phone: "+8613800000003");
        await bed.ConsentAsync(lateClicker, "analytics.reporting", true, Ct);
        bed.Time.Advance(TimeSpan.FromHours(5));
        Assert.Equal(1, (await ClickAsync(bed, lateClicker)).Stored);
        var lateAccount = await bed.AddSubjectAsync(Ct, email: "late@example.cn");
        await using (var db = bed.Store.NewDataContext())
        {
            await db.Subjects.Where(s => s.Id == lateAccount).ExecuteUpdateAsync(s => s.SetProperty(x => x.CreatedAt, start.AddHours(5)), Ct);
        }

        bed.Time.Advance(TimeSpan.FromDays(1));
        var recorded = await bed.RunAsync(s => s.GetRequiredService<SecurityIncidents>().RecordAsync(new IncidentInput(
            DetectedAt: start.AddHours(20), OccurredFrom: start.AddDays(-1), OccurredTo: start.AddHours(1),
            Categories: ["user.contact.email", "user.behavior.clicks"], Stores: ["database", "server-logs", "app-cache"],
            Cause: "A misconfigured backup job exposed a database snapshot and the log archive.", Measures: "The snapshot was removed and the job's credentials rotated."),
            "staff:ana", Ct));

        Assert.Null(recorded.Errors);
        var report = recorded.Report!;
        Assert.Equal((2, 2), (report.SubjectsAffected, report.SubjectsNotified));
        var affected = await bed.RunAsync(s => s.GetRequiredService<SecurityIncidents>().SubjectsAsync(report.Id, Ct));
        Assert.Equal(new[] { withEmail, clicker }.Order(), affected);
        Assert.Equal(1, report.Findings.SubjectsByCategory["user.contact.email"]);
        Assert.Equal(1, report.Findings.SubjectsByCategory["user.behavior.clicks"]);
        Assert.Equal(["app-cache"], report.Findings.StoresNotSearchable);
        Assert.NotNull(report.OfficerNotifiedAt);
        Assert.Equal(["occurred from", "occurred until", "detected", "recorded"], report.Timeline.Take(4).Select(m => m.What));

        // Only the affected have the notice: in-app, and for delivery by mail or SMS.
        var notices = await bed.RowsAsync<Notification>(Ct);
        Assert.All(notices, n => Assert.Equal("security-incident", n.TemplateKey));
        Assert.Equal(new[] { withEmail, clicker }.Order(), notices.Where(n => n.Channel == NotificationChannel.InApp).Select(n => n.SubjectId).Order());
        Assert.DoesNotContain(notices, n => n.SubjectId == phoneOnly || n.SubjectId == lateClicker || n.SubjectId == lateAccount);

        // The officer's mail, then the subject's own mail in Chinese.
        var officer = Assert.Single(await bed.Smtp.WaitForAsync(1, Deadline));
        Assert.Equal("privacy@konzen.example", officer.To.Mailboxes.Single().Address);
        Assert.Contains("2 subjects affected", officer.Subject, StringComparison.Ordinal);
        Assert.DoesNotContain("zhang.wei", officer.TextBody, StringComparison.Ordinal);
        await bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct));
        var mails = await bed.Smtp.WaitForAsync(2, Deadline);
        var zh = Assert.Single(mails, m => m.To.Mailboxes.Single().Address == "zhang.wei@example.cn");
        Assert.Equal("一起安全事件可能涉及您的个人信息", zh.Subject);
        Assert.Contains("电子邮件地址", zh.TextBody, StringComparison.Ordinal);
        Assert.Contains("The snapshot was removed", zh.TextBody, StringComparison.Ordinal);
        Assert.Contains("privacy@konzen.example", zh.TextBody, StringComparison.Ordinal);

        // The affected subject reads it in the privacy center and finds it in the export.
        var inApp = Assert.Single(await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().InAppAsync(clicker, Ct)));
        Assert.Equal("A security incident may have affected your personal information", inApp.Subject);
        Assert.Contains("Which information: email address, click information.", inApp.Body, StringComparison.Ordinal);
        var exported = await bed.RunAsync(async s => await s.GetRequiredService<DataExport>().NotificationsAsync(clicker, Ct).ToListAsync(Ct));
        Assert.Contains(exported, n => n.Template == "security-incident" && n.Body is not null && n.Body.Contains("What we did", StringComparison.Ordinal));

        var audit = await bed.RowsAsync<AuditEntry>(Ct);
        Assert.Equal("staff:ana", Assert.Single(audit, e => e.Action == "incident.recorded").Actor);
        Assert.Single(audit, e => e.Action == "incident.notified");
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S3.3")]
    public async Task Record_WithUnknownCategoryStoreOrWindow_RefusesAndStoresNothing(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        await bed.AddSubjectAsync(Ct, email: "li.na@example.cn");
        var start = NoticesBed.Start;
        var auditBefore = (await bed.RowsAsync<AuditEntry>(Ct)).Count;

        var recorded = await bed.RunAsync(s => s.GetRequiredService<SecurityIncidents>().RecordAsync(new IncidentInput(
            DetectedAt: start.AddDays(1), OccurredFrom: start, OccurredTo: start.AddHours(-1),
            Categories: ["user.contact.email", "user.genome"], Stores: ["mainframe"], Cause: "  ", Measures: "Rotated keys."),
            "staff:ana", Ct));

        Assert.Null(recorded.Report);
        Assert.Equal(["categories", "cause", "detectedAt", "occurredTo", "stores"], recorded.Errors!.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(await bed.RowsAsync<Incident>(Ct));
        Assert.Empty(await bed.RowsAsync<IncidentSubject>(Ct));
        Assert.Empty(await bed.RowsAsync<Notification>(Ct));
        Assert.Equal(auditBefore, (await bed.RowsAsync<AuditEntry>(Ct)).Count);
        Assert.Empty(bed.Smtp.Messages);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S3.3")]
    public async Task Record_WhenTheOfficersMailServerIsDown_KeepsTheIncidentAndSaysSo(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct, smtpDown: true);
        var subject = await bed.AddSubjectAsync(Ct, email: "li.na@example.cn");
        var start = NoticesBed.Start;

        var recorded = await bed.RunAsync(s => s.GetRequiredService<SecurityIncidents>().RecordAsync(new IncidentInput(
            start, start.AddHours(-2), start, ["user.contact.email"], ["database"], "Stolen laptop with a database export.", "Remote wipe; export key revoked."),
            "staff:ana", Ct));

        var report = recorded.Report!;
        Assert.Equal(1, report.SubjectsNotified);
        Assert.Null(report.OfficerNotifiedAt);
        Assert.NotNull(report.OfficerError);
        var listed = Assert.Single(await bed.RunAsync(s => s.GetRequiredService<SecurityIncidents>().ListAsync(Ct)));
        Assert.Equal((report.Id, 1, report.OfficerError), (listed.Id, listed.SubjectsAffected, listed.OfficerError));
        Assert.Contains(await bed.RowsAsync<Notification>(Ct), n => n.SubjectId == subject);
        Assert.DoesNotContain(bed.Logs.Lines, l => l.Contains("li.na", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S3.3")]
    public async Task Record_HundredsAffectedOverSeveralBatches_NotifiesExactlyThemInTheirLanguage(DatabaseProvider provider)
    {
        // 64 subjects a transaction: the 250 affected span four batches, the last one partial.
        await using var bed = await NoticesBed.CreateAsync(provider, Ct, settings: new Dictionary<string, string?> { ["Notifications:EnqueueBatchSize"] = "64" });
        var start = NoticesBed.Start;
        var chinese = new HashSet<Guid>();
        var affected = new List<Guid>();
        for (var i = 0; i < 250; i++)
        {
            var language = i % 3 == 0 ? PolicyLanguage.ZhCn : (PolicyLanguage?)null;
            var subject = await bed.AddSubjectAsync(Ct, email: $"subject{i}@example.cn", language: language);
            affected.Add(subject);
            if (language is not null)
            {
                chinese.Add(subject);
            }
        }

        // Not affected: a phone number only (another category), and email addresses of accounts opened after the window.
        var untouched = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            untouched.Add(await bed.AddSubjectAsync(Ct, phone: $"+86138000{i:00000}", language: PolicyLanguage.ZhCn));
        }

        var late = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            late.Add(await bed.AddSubjectAsync(Ct, email: $"late{i}@example.cn"));
        }

        await using (var db = bed.Store.NewDataContext())
        {
            await db.Subjects.Where(s => late.Contains(s.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.CreatedAt, start.AddHours(5)), Ct);
        }

        bed.Time.Advance(TimeSpan.FromDays(1));
        var report = (await bed.RunAsync(s => s.GetRequiredService<SecurityIncidents>().RecordAsync(new IncidentInput(
            DetectedAt: start.AddHours(20), OccurredFrom: start.AddDays(-1), OccurredTo: start.AddHours(1),
            Categories: ["user.contact.email"], Stores: ["database"],
            Cause: "A support tool exported the customer mailing list to a public bucket.", Measures: "The bucket was closed and the export deleted."),
            "staff:ana", Ct))).Report!;

        Assert.Equal((250, 250), (report.SubjectsAffected, report.SubjectsNotified));
        Assert.Equal(affected.Order(), await bed.RunAsync(s => s.GetRequiredService<SecurityIncidents>().SubjectsAsync(report.Id, Ct)));

        // Each affected subject exactly once in-app and once by mail, in its own language; nobody else.
        var notices = await bed.RowsAsync<Notification>(Ct);
        Assert.Equal(500, notices.Count);
        Assert.All(notices, n => Assert.Equal("security-incident", n.TemplateKey));
        Assert.Equal(affected.Order(), notices.Where(n => n.Channel == NotificationChannel.InApp).Select(n => n.SubjectId).Order());
        Assert.Equal(affected.Order(), notices.Where(n => n.Channel == NotificationChannel.Email).Select(n => n.SubjectId).Order());
        Assert.All(notices, n => Assert.Equal(chinese.Contains(n.SubjectId) ? "zh-CN" : "en", n.Language));
        Assert.DoesNotContain(notices, n => untouched.Contains(n.SubjectId) || late.Contains(n.SubjectId));

        // The sealed values open under each subject's own key, and read in its language.
        var last = affected.Last(chinese.Contains);
        var inApp = Assert.Single(await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().InAppAsync(last, Ct)));
        Assert.Equal("一起安全事件可能涉及您的个人信息", inApp.Subject);
        Assert.Contains("The bucket was closed", inApp.Body, StringComparison.Ordinal);
        var english = Assert.Single(await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().InAppAsync(affected[1], Ct)));
        Assert.Equal("A security incident may have affected your personal information", english.Subject);
    }

    private static Task<EventIntakeResult> ClickAsync(NoticesBed bed, Guid subjectId) =>
        bed.RunAsync(s => s.GetRequiredService<EventIntake>().RecordAsync(EventActor.Subject(subjectId),
            [new EventInput("click", "analytics", bed.Time.GetUtcNow(), "/domains", "buy")], false, null, Ct));
}
