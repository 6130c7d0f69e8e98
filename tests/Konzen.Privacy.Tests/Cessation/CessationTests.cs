using Konzen.Privacy.Audit;
using Konzen.Privacy.Cessation;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Tests.Notices;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Cessation;

/// <summary>The end of the service (S2.5): announced, told to everyone, intakes stopped, and after the day every key destroyed with a report.</summary>
public sealed class CessationTests
{
    private const int Population = 10_000;

    private static readonly Dictionary<string, string?> BigBatches = new() { ["Notifications:BatchSize"] = "1000" };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateOnly Today(NoticesBed bed) => DateOnly.FromDateTime(bed.Time.GetUtcNow().UtcDateTime);

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.5")]
    public async Task Cessation_OfTenThousandSubjects_NotifiesEveryoneStopsIntakeAndLeavesNothingReadable(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct, settings: BigBatches);

        // Three subjects registered the ordinary way, with location points and log events, and 10,000 more in bulk.
        var active = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var id = await bed.AddSubjectAsync(Ct, email: $"active{i}@example.cn", phone: $"+86138000000{i:00}");
            await bed.ConsentAsync(id, LocationIntake.Purpose, true, Ct);
            await bed.ConsentAsync(id, "analytics.reporting", true, Ct);
            Assert.Equal(LocationRefusal.None, (await RecordPointAsync(bed, id)).Refusal);
            Assert.Equal(2, (await RecordEventsAsync(bed, id)).Stored);
            active.Add(id);
        }

        var everyone = await Cessation.Population.AddAsync(bed.Services, Population, NoticesBed.Start, Ct);
        everyone.AddRange(active);
        var total = everyone.Count;
        var fieldsBefore = await bed.RowsAsync<PersonalField>(Ct);
        var eventsBefore = await bed.RowsAsync<LogEvent>(Ct);
        Assert.Equal(6, eventsBefore.Count);

        // The announcement: a notice for every subject, in-app and by mail.
        var announced = await bed.RunAsync(s => s.GetRequiredService<Cessations>().AnnounceAsync(Today(bed).AddDays(14), "staff:cli", Ct));
        Assert.Equal(CessationRefusal.None, announced.Refusal);
        Assert.Equal(total, announced.Notified);
        var notices = await bed.RowsAsync<Notification>(Ct);
        Assert.Equal(total, notices.Count(n => n.Channel == NotificationChannel.InApp && n.TemplateKey == "service-cessation"));
        Assert.Equal(total, notices.Where(n => n.Channel == NotificationChannel.InApp).Select(n => n.SubjectId).Distinct().Count());
        Assert.Equal(total, notices.Count(n => n.Channel == NotificationChannel.Email));
        var state = announced.State!;
        Assert.Equal(state.CeaseAt.AddDays(30), state.DeletionDueAt);

        // From the announcement on, registration, location and log events are refused and nothing is stored.
        var subjectsBefore = (await bed.RowsAsync<Subject>(Ct)).Count;
        var pointsBefore = (await bed.RowsAsync<LocationPoint>(Ct)).Count;
        var registration = await bed.RunAsync(s => s.GetRequiredService<SubjectRegistration>().StartAsync(
            new RegistrationRequest("new@example.cn", null, "correct horse battery", new DateOnly(1990, 5, 17), s.GetRequiredService<CompiledPolicy>().Version.ContentHash), Ct));
        Assert.Equal(RefusalKind.ServiceCeasing, registration.Refusal?.Kind);
        Assert.Equal(LocationRefusal.ServiceCeasing, (await RecordPointAsync(bed, active[0])).Refusal);
        var events = await RecordEventsAsync(bed, active[0]);
        Assert.True(events.ServiceCeasing);
        Assert.Equal(0, events.Stored);
        Assert.Equal(subjectsBefore, (await bed.RowsAsync<Subject>(Ct)).Count);
        Assert.Empty(await bed.RowsAsync<PendingRegistration>(Ct));
        Assert.Equal(pointsBefore, (await bed.RowsAsync<LocationPoint>(Ct)).Count);
        Assert.Equal(eventsBefore.Count, (await bed.RowsAsync<LogEvent>(Ct)).Count);

        // A text message waits in the SMS outbox, sealed under the node's key file rather than a subject's key.
        await bed.RunAsync(s => s.GetRequiredService<ISmsSender>().SendAsync("+8613800000099", "Konzen notice", Ct));

        // Before the day the end does nothing.
        var early = await bed.RunAsync(s => s.GetRequiredService<Cessations>().RunAsync("system", Ct));
        Assert.Equal(CessationRunOutcome.NotDue, early.Outcome);
        Assert.Equal(total, await KeyCountAsync(bed));

        // After the day: every key destroyed, the rows gone, the evidence kept, and the report counts it all.
        bed.Time.Advance(TimeSpan.FromDays(15));
        var run = await bed.RunAsync(s => s.GetRequiredService<Cessations>().RunAsync("system", Ct));
        Assert.Equal(CessationRunOutcome.Completed, run.Outcome);
        var report = run.Report!;
        Assert.Equal((total, total, total), (report.Subjects, report.SubjectsNotified, report.KeysDestroyed));
        Assert.True(report.PeriodKeysDestroyed >= 1);
        Assert.True(report.WithinDeadline);
        Assert.Equal(total, report.SubjectsByRegion["CN"]);
        Assert.Equal(fieldsBefore.Count, report.RowsDeleted["personal_fields"]);
        Assert.Equal(notices.Count, report.RowsDeleted["notifications"]);
        Assert.Equal(eventsBefore.Count, report.RowsDeleted["log_events"]);
        Assert.Equal(3, report.RowsDeleted["location_points"]);
        Assert.Equal(total, report.RowsDeleted["subjects"]);
        Assert.Equal(1, report.RowsDeleted["sms_outbox"]);
        Assert.Empty(await bed.RowsAsync<SmsOutboxMessage>(Ct));
        Assert.Equal(6, report.RowsAnonymized["consent_events"]);

        // Nothing decrypts: no subject has a key, no period key is left, so no copy of any field or
        // event (a backup taken before) can be opened; the vault refuses every field of a restored backup.
        Assert.Equal(0, await KeyCountAsync(bed));
        await using (var keyStore = bed.Store.NewKeyContext())
        {
            Assert.Empty(await keyStore.Set<EventEpochKey>().ToListAsync(Ct));
        }

        var keys = await bed.RunAsync(s => s.GetRequiredService<SubjectKeys>().FindManyAsync(everyone, Ct));
        Assert.Empty(keys);
        Assert.Empty(await bed.RowsAsync<PersonalField>(Ct));
        Assert.Empty(await bed.RowsAsync<LogEvent>(Ct));
        Assert.Empty(await bed.RowsAsync<Notification>(Ct));
        Assert.Empty(await bed.RowsAsync<Subject>(Ct));
        await RestoreAsync(bed, active, fieldsBefore);
        foreach (var field in fieldsBefore.Where(f => active.Contains(f.SubjectId)))
        {
            await Assert.ThrowsAsync<SubjectKeyMissingException>(() => bed.RunAsync(async s => await s.GetRequiredService<PersonalDataVault>().ReadAsync(
                s.GetRequiredService<PrivacyDbContext>(), await s.GetRequiredService<ConsentLedger>().GetStateAsync(field.SubjectId, Ct), field.SubjectId, field.Field, "essential.service", "test", Ct)));
        }

        // The audit chain is intact, with the end on record; a second run answers the first one's report.
        await using (var db = bed.Store.NewDataContext())
        {
            Assert.True((await AuditVerifier.VerifyAsync(db, Ct)).Intact);
            Assert.Single(await db.AuditEntries.Where(e => e.Action == "service.ceased").ToListAsync(Ct));
        }

        var again = await bed.RunAsync(s => s.GetRequiredService<Cessations>().RunAsync("system", Ct));
        Assert.Equal(CessationRunOutcome.AlreadyCompleted, again.Outcome);
        Assert.Equal(report.KeysDestroyed, again.Report!.KeysDestroyed);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.5")]
    public async Task Announce_WithTwoLanguages_MailsEachSubjectTheNoticeInTheirLanguage(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        await bed.AddSubjectAsync(Ct, email: "li.na@example.cn");
        await bed.AddSubjectAsync(Ct, email: "zhang.wei@example.cn", language: PolicyLanguage.ZhCn);

        var announced = await bed.RunAsync(s => s.GetRequiredService<Cessations>().AnnounceAsync(new DateOnly(2027, 1, 15), "staff:cli", Ct));
        Assert.Equal(2, announced.Notified);
        await bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct));

        var mails = await bed.Smtp.WaitForAsync(2, TimeSpan.FromSeconds(30));
        var zh = Assert.Single(mails, m => m.To.Mailboxes.Single().Address == "zhang.wei@example.cn");
        Assert.Equal("Konzen 将于 2027-01-15 停止服务", zh.Subject);
        Assert.Contains("最迟不晚于 2027-02-14", zh.TextBody, StringComparison.Ordinal);
        var en = Assert.Single(mails, m => m.To.Mailboxes.Single().Address == "li.na@example.cn");
        Assert.Equal("Konzen ends its service on 2027-01-15", en.Subject);
        Assert.Contains("no new accounts are opened", en.TextBody, StringComparison.Ordinal);
        Assert.Contains("by 2027-02-14 at the latest", en.TextBody, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.5")]
    public async Task Announce_WithDayInThePastOrTwice_RecordsNothingMore(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        await bed.AddSubjectAsync(Ct, email: "li.na@example.cn");

        var past = await bed.RunAsync(s => s.GetRequiredService<Cessations>().AnnounceAsync(Today(bed).AddDays(-1), "staff:cli", Ct));
        Assert.Equal(CessationRefusal.DateInPast, past.Refusal);
        Assert.Empty(await bed.RowsAsync<CessationRecord>(Ct));
        Assert.Empty(await bed.RowsAsync<Notification>(Ct));
        Assert.Null(await bed.Services.GetRequiredService<ServiceCessation>().CurrentAsync(Ct));

        Assert.Equal(CessationRefusal.None, (await bed.RunAsync(s => s.GetRequiredService<Cessations>().AnnounceAsync(Today(bed), "staff:cli", Ct))).Refusal);
        var auditBefore = (await bed.RowsAsync<AuditEntry>(Ct)).Count;
        var second = await bed.RunAsync(s => s.GetRequiredService<Cessations>().AnnounceAsync(Today(bed).AddDays(30), "staff:cli", Ct));
        Assert.Equal(CessationRefusal.AlreadyAnnounced, second.Refusal);
        Assert.Single(await bed.RowsAsync<CessationRecord>(Ct));
        Assert.Single(await bed.RowsAsync<Notification>(Ct), n => n.Channel == NotificationChannel.InApp);
        Assert.Equal(auditBefore, (await bed.RowsAsync<AuditEntry>(Ct)).Count);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.5")]
    public async Task Job_WhenTheClockPassesTheAnnouncedDay_EndsTheServiceOnTheNextTick(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        await bed.AddSubjectAsync(Ct, email: "li.na@example.cn");
        await bed.RunAsync(s => s.GetRequiredService<Cessations>().AnnounceAsync(Today(bed).AddDays(1), "staff:cli", Ct));
        var job = bed.Services.GetRequiredService<CessationJob>();
        await job.StartAsync(Ct);

        // Every hourly tick before the day leaves everything; the first one at the day (16 hours on) ends the service.
        var outcomes = new List<CessationRunOutcome?>();
        while (outcomes.Count < 20 && outcomes.LastOrDefault() != CessationRunOutcome.Completed)
        {
            var next = job.NextRun;
            bed.Time.Advance(TimeSpan.FromHours(1));
            outcomes.Add(await next.WaitAsync(TimeSpan.FromSeconds(30), Ct));
            if (outcomes[^1] == CessationRunOutcome.NotDue)
            {
                Assert.Single(await bed.RowsAsync<Subject>(Ct));
            }
        }

        Assert.Equal([.. Enumerable.Repeat<CessationRunOutcome?>(CessationRunOutcome.NotDue, 15), CessationRunOutcome.Completed], outcomes);
        await job.StopAsync(Ct);

        Assert.Empty(await bed.RowsAsync<Subject>(Ct));
        Assert.Equal(0, await KeyCountAsync(bed));
        var record = Assert.Single(await bed.RowsAsync<CessationRecord>(Ct));
        Assert.Equal(NoticesBed.Start.AddHours(16), record.CompletedAt);
        Assert.Equal("system", Assert.Single(await bed.RowsAsync<AuditEntry>(Ct), e => e.Action == "service.ceased").Actor);
    }

    private static Task<LocationRecorded> RecordPointAsync(NoticesBed bed, Guid subjectId) =>
        bed.RunAsync(s => s.GetRequiredService<LocationIntake>().RecordAsync(
            subjectId, new LocationReport(31.2304, 121.4737, 12, LocationSource.Gps, PositioningOn: true, bed.Time.GetUtcNow()), $"subject:{subjectId}", Ct));

    private static Task<EventIntakeResult> RecordEventsAsync(NoticesBed bed, Guid subjectId) =>
        bed.RunAsync(s => s.GetRequiredService<EventIntake>().RecordAsync(EventActor.Subject(subjectId),
            [new EventInput("page-view", "analytics", bed.Time.GetUtcNow(), "/domains"), new EventInput("click", "analytics", bed.Time.GetUtcNow(), "/domains", "buy")], false, null, Ct));

    private static async Task<int> KeyCountAsync(NoticesBed bed)
    {
        await using var keyStore = bed.Store.NewKeyContext();
        return await keyStore.SubjectKeys.CountAsync(Ct);
    }

    // A backup of the data store put back after the end: the rows return, their keys do not.
    private static async Task RestoreAsync(NoticesBed bed, IReadOnlyList<Guid> subjects, IReadOnlyList<PersonalField> fields)
    {
        await using var db = bed.Store.NewDataContext();
        foreach (var id in subjects)
        {
            db.Add(new Subject { Id = id, Region = "CN", CreatedAt = NoticesBed.Start, AcceptedPolicyHash = new string('a', 64) });
        }

        db.AddRange(fields.Where(f => subjects.Contains(f.SubjectId)));
        await db.SaveChangesAsync(Ct);
    }
}
