using System.Text;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Konzen.Privacy.Tests.Notices;

public sealed class NotificationOutboxTests
{
    private const string Email = "mei.lin@example.cn";
    private const string Phone = "+8613800138000";

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string> Values(string to = "Acme Domains Ltd") => new(StringComparer.Ordinal)
    {
        ["from"] = "Konzen",
        ["to"] = to,
        ["effective"] = "2027-01-01",
        ["policyVersion"] = "1.0.0",
        ["policyHash"] = "abc123",
    };

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Enqueue_SubjectWithEmail_WritesInAppAndEmailWithTheValuesSealed(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var subject = await bed.AddSubjectAsync(Ct, email: Email, phone: Phone);

        var ids = await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>()
            .EnqueueAsync(subject, NotificationTemplates.ControllerTransferred, Values("Zeta Secret Holdings"), Ct));

        var rows = await bed.RowsAsync<Notification>(Ct);
        Assert.Equal(ids.Order(), rows.Select(r => r.Id).Order());
        Assert.Equal([NotificationChannel.InApp, NotificationChannel.Email], rows.OrderBy(r => r.Channel).Select(r => r.Channel));
        var inApp = rows.Single(r => r.Channel == NotificationChannel.InApp);
        var mail = rows.Single(r => r.Channel == NotificationChannel.Email);
        Assert.Equal((NotificationStatus.Sent, NoticesBed.Start), (inApp.Status, inApp.SentAt!.Value));
        Assert.Equal((NotificationStatus.Pending, NoticesBed.Start, 0), (mail.Status, mail.NextAttemptAt!.Value, mail.Attempts));
        Assert.All(rows, r => Assert.Equal(("controller-transferred", "en"), (r.TemplateKey, r.Language)));

        // The raw value column holds ciphertext: neither a value nor the template's text shows.
        Assert.All(rows, r => Assert.DoesNotContain("Zeta", Encoding.UTF8.GetString(r.Values), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Enqueue_ValuesNotMatchingTheTemplate_ThrowsAndWritesNothing(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var subject = await bed.AddSubjectAsync(Ct, email: Email);
        var missing = Values();
        missing.Remove("to");
        var unknown = Values();
        unknown["extra"] = "x";
        var unregistered = NotificationTemplates.ControllerTransferred with { Key = "made-up" };

        foreach (var (template, values) in new[] { (NotificationTemplates.ControllerTransferred, missing), (NotificationTemplates.ControllerTransferred, unknown), (unregistered, Values()) })
        {
            await Assert.ThrowsAsync<ArgumentException>(() => bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().EnqueueAsync(subject, template, values, Ct)));
            await Assert.ThrowsAsync<ArgumentException>(() => bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().EnqueueForAllAsync(template, values, Ct)));
        }

        await Assert.ThrowsAsync<ArgumentException>(() => bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>()
            .EnqueueAsync(Guid.NewGuid(), NotificationTemplates.ControllerTransferred, Values(), Ct)));
        Assert.Empty(await bed.RowsAsync<Notification>(Ct));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite, 1)]
    [InlineData(DatabaseProvider.Postgres, 1)]
    [InlineData(DatabaseProvider.Sqlite, 2_500)]
    [InlineData(DatabaseProvider.Postgres, 2_500)]
    public async Task EnqueueForMany_NamedTwiceOrUnknown_QueuesOnceForEachNamedSubjectThatExists(DatabaseProvider provider, int unknown)
    {
        // 2,500 unknown ids take the path that reads the subjects table once instead of asking by id.
        await using var bed = await NoticesBed.CreateAsync(provider, Ct, settings: new Dictionary<string, string?> { ["Notifications:EnqueueBatchSize"] = "1" });
        var mailed = await bed.AddSubjectAsync(Ct, email: Email, language: PolicyLanguage.ZhCn);
        var texted = await bed.AddSubjectAsync(Ct, phone: Phone);
        var left = await bed.AddSubjectAsync(Ct, email: "left@example.cn");
        Guid[] named = [mailed, texted, mailed, .. Enumerable.Range(0, unknown).Select(_ => Guid.NewGuid())];

        var reached = await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().EnqueueForManyAsync(named, NotificationTemplates.ControllerTransferred, Values(), Ct));

        Assert.Equal(2, reached);
        var rows = await bed.RowsAsync<Notification>(Ct);
        Assert.Equal(
            [(mailed, NotificationChannel.InApp, "zh-CN"), (mailed, NotificationChannel.Email, "zh-CN"), (texted, NotificationChannel.InApp, "en"), (texted, NotificationChannel.Sms, "en")],
            rows.Select(r => (r.SubjectId, r.Channel, r.Language)).OrderBy(r => r.SubjectId == mailed ? 0 : 1).ThenBy(r => r.Channel));
        Assert.DoesNotContain(rows, r => r.SubjectId == left);
        var inApp = Assert.Single(await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().InAppAsync(texted, Ct)));
        Assert.Equal("Acme Domains Ltd is now responsible for your personal information", inApp.Subject);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task EnqueueForMany_BadValuesOrNoSubjects_WritesNothing(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var subject = await bed.AddSubjectAsync(Ct, email: Email);
        var missing = Values();
        missing.Remove("to");

        await Assert.ThrowsAsync<ArgumentException>(() => bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>()
            .EnqueueForManyAsync([subject], NotificationTemplates.ControllerTransferred, missing, Ct)));
        Assert.Equal(0, await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().EnqueueForManyAsync([], NotificationTemplates.ControllerTransferred, Values(), Ct)));
        Assert.Equal(0, await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().EnqueueForManyAsync([Guid.NewGuid()], NotificationTemplates.ControllerTransferred, Values(), Ct)));

        Assert.Empty(await bed.RowsAsync<Notification>(Ct));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Dispatch_EmailAndPhoneOnlySubjects_MailsOneAndTextsTheOtherInTheirLanguage(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var mailed = await bed.AddSubjectAsync(Ct, email: Email, language: PolicyLanguage.ZhCn);
        var texted = await bed.AddSubjectAsync(Ct, phone: Phone);
        await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().EnqueueForAllAsync(NotificationTemplates.ControllerTransferred, Values(), Ct));

        var result = await bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct));

        Assert.Equal(new NotificationDispatchResult(NotificationDispatchOutcome.Completed, 2, 0, 0), result);
        var mail = Assert.Single(await bed.Smtp.WaitForAsync(1, Deadline));
        Assert.Equal(Email, mail.To.Mailboxes.Single().Address);
        Assert.Equal("Acme Domains Ltd 现在负责处理您的个人信息", mail.Subject);
        Assert.Contains("注销您的账户", mail.TextBody, StringComparison.Ordinal);
        var sms = Assert.Single(await bed.RunAsync(s => SmsOutbox.ReadAsync(s.GetRequiredService<PrivacyDbContext>(), s.GetRequiredService<SubjectSecrets>(), cancellationToken: Ct)));
        Assert.Equal(Phone, sms.To);
        Assert.StartsWith("Acme Domains Ltd is now responsible for your personal information", sms.Text, StringComparison.Ordinal);

        var rows = await bed.RowsAsync<Notification>(Ct);
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.Equal(NotificationStatus.Sent, r.Status));
        Assert.Equal(NotificationChannel.Email, rows.Single(r => r.SubjectId == mailed && r.Channel != NotificationChannel.InApp).Channel);
        Assert.Equal(NotificationChannel.Sms, rows.Single(r => r.SubjectId == texted && r.Channel != NotificationChannel.InApp).Channel);

        // Each address was read through the vault for customer service, on the record.
        var reads = await bed.RowsAsync<Privacy.Audit.AuditEntry>(Ct);
        Assert.Contains(reads, e => e.Action == "field.read" && e.SubjectId == mailed && e.Field == PersonalDataVault.EmailField && e.Purpose == NotificationDispatch.Purpose);
        Assert.Contains(reads, e => e.Action == "field.read" && e.SubjectId == texted && e.Field == PersonalDataVault.PhoneField && e.Purpose == NotificationDispatch.Purpose);

        // Nothing is due any more: a second run sends nothing again.
        Assert.Equal(0, (await bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct))).Sent);
        Assert.Single(bed.Smtp.Messages);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Dispatch_WhileTheMailServerIsDown_RetriesWithDoublingBackoffThenGivesUpWithoutLoggingTheAddress(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct, smtpDown: true, new Dictionary<string, string?>
        {
            ["Notifications:MaxAttempts"] = "3",
            ["Notifications:BaseBackoff"] = "00:01:00",
        });
        var subject = await bed.AddSubjectAsync(Ct, email: Email);
        await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().EnqueueAsync(subject, NotificationTemplates.ControllerTransferred, Values(), Ct));
        Task<NotificationDispatchResult> Dispatch() => bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct));
        async Task<Notification> Mail() => (await bed.RowsAsync<Notification>(Ct)).Single(n => n.Channel == NotificationChannel.Email);

        Assert.Equal(1, (await Dispatch()).Retrying);
        Assert.Equal((1, NoticesBed.Start.AddMinutes(1), NotificationStatus.Pending), ((await Mail()).Attempts, (await Mail()).NextAttemptAt, (await Mail()).Status));

        // Not due yet: nothing is tried before the back-off has passed.
        bed.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(new NotificationDispatchResult(NotificationDispatchOutcome.Completed, 0, 0, 0), await Dispatch());

        bed.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await Dispatch()).Retrying);
        Assert.Equal((2, bed.Time.GetUtcNow().AddMinutes(2)), ((await Mail()).Attempts, (await Mail()).NextAttemptAt));

        bed.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, (await Dispatch()).Failed);
        var failed = await Mail();
        Assert.Equal((3, NotificationStatus.Failed, (DateTimeOffset?)null), (failed.Attempts, failed.Status, failed.NextAttemptAt));
        Assert.NotNull(failed.Error);

        Assert.Contains(bed.Logs.Lines, l => l.Contains($"Notification {failed.Id} failed after 3 attempt(s)", StringComparison.Ordinal));
        Assert.DoesNotContain(bed.Logs.Lines, l => l.Contains(Email, StringComparison.OrdinalIgnoreCase) || l.Contains("Acme", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Dispatch_AfterTheSubjectsKeyWasShredded_SendsNothingAndMarksItFailed(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var subject = await bed.AddSubjectAsync(Ct, email: Email);
        await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().EnqueueAsync(subject, NotificationTemplates.ControllerTransferred, Values(), Ct));
        await bed.RunAsync(s => s.GetRequiredService<SubjectKeys>().ShredAsync(subject, Ct));

        Assert.Equal(1, (await bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct))).Failed);

        Assert.Empty(bed.Smtp.Messages);
        Assert.Equal("key-shredded", (await bed.RowsAsync<Notification>(Ct)).Single(n => n.Channel == NotificationChannel.Email).Error);
        Assert.Empty(await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().InAppAsync(subject, Ct)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task InApp_TwoNotices_ListsNewestFirstAndMarksReadOnlyTheSubjectsOwn(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var subject = await bed.AddSubjectAsync(Ct, email: Email);
        var other = await bed.AddSubjectAsync(Ct);
        await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().EnqueueAsync(subject, NotificationTemplates.ControllerTransferred, Values("First Co"), Ct));
        bed.Time.Advance(TimeSpan.FromMinutes(1));
        await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().EnqueueAsync(subject, NotificationTemplates.ControllerTransferred, Values("Second Co"), Ct));
        var othersIds = await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().EnqueueAsync(other, NotificationTemplates.ControllerTransferred, Values(), Ct));

        var list = await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().InAppAsync(subject, Ct));

        Assert.Equal(["Second Co is now responsible for your personal information", "First Co is now responsible for your personal information"], list.Select(n => n.Subject));
        Assert.All(list, n => Assert.Null(n.ReadAt));
        Assert.False(await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().MarkReadAsync(subject, othersIds[0], Ct)));
        Assert.True(await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().MarkReadAsync(subject, list[1].Id, Ct)));
        var after = await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().InAppAsync(subject, Ct));
        Assert.Equal([null, NoticesBed.Start.AddMinutes(1)], after.Select(n => n.ReadAt));
        Assert.Null((await bed.RowsAsync<Notification>(Ct)).Single(n => n.Id == othersIds[0]).ReadAt);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Summary_AfterADispatch_CountsPerChannelAndStatus(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        await bed.AddSubjectAsync(Ct, email: Email);
        await bed.AddSubjectAsync(Ct, email: "second@example.cn");
        await bed.AddSubjectAsync(Ct, phone: Phone);
        await bed.AddSubjectAsync(Ct, email: "third@example.cn");
        await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().EnqueueForAllAsync(NotificationTemplates.ControllerTransferred, Values(), Ct));

        // The batch size is 3: one run sends three of the four deliveries.
        await bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct));
        var summary = await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().SummaryAsync(Ct));

        Assert.Equal(4, summary.Single(c => c.Channel == NotificationChannel.InApp).Count);
        Assert.Equal(3, summary.Where(c => c.Channel != NotificationChannel.InApp && c.Status == NotificationStatus.Sent).Sum(c => c.Count));
        Assert.Equal(1, summary.Where(c => c.Status == NotificationStatus.Pending).Sum(c => c.Count));
    }

    [Fact]
    public async Task Dispatch_WhileAnotherNodeHoldsTheLock_Skips()
    {
        await using var bed = await NoticesBed.CreateAsync(DatabaseProvider.Postgres, Ct);
        var subject = await bed.AddSubjectAsync(Ct, email: Email);
        await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().EnqueueAsync(subject, NotificationTemplates.ControllerTransferred, Values(), Ct));
        await using (var other = new NpgsqlConnection(bed.Store.DatabaseConnectionString))
        {
            await other.OpenAsync(Ct);
            await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({NotificationDispatch.LockKey})", other))
            {
                await take.ExecuteScalarAsync(Ct);
            }

            Assert.Equal(NotificationDispatchResult.Skipped, await bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct)));

            // A pooled connection keeps its session, and so the lock, after it is closed: let go explicitly.
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({NotificationDispatch.LockKey})", other);
            await release.ExecuteScalarAsync(Ct);
        }

        Assert.Empty(bed.Smtp.Messages);
        Assert.Equal(1, (await bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct))).Sent);
    }

    [Fact]
    public async Task Dispatcher_OnItsTick_SendsWhatIsDue()
    {
        await using var bed = await NoticesBed.CreateAsync(DatabaseProvider.Sqlite, Ct);
        var subject = await bed.AddSubjectAsync(Ct, email: Email);
        await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().EnqueueAsync(subject, NotificationTemplates.ControllerTransferred, Values(), Ct));
        var dispatcher = bed.Services.GetRequiredService<NotificationDispatcher>();
        await dispatcher.StartAsync(Ct);
        var next = dispatcher.NextRun;

        bed.Time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(1, (await next.WaitAsync(Deadline, Ct)).Sent);
        await dispatcher.StopAsync(Ct);
        Assert.Single(await bed.Smtp.WaitForAsync(1, Deadline));
    }

    [Fact]
    public void Backoff_EachFailure_DoublesTheWait()
    {
        var waits = Enumerable.Range(1, 5).Select(a => NotificationDispatch.Backoff(TimeSpan.FromMinutes(1), a).TotalMinutes);

        Assert.Equal([1.0, 2, 4, 8, 16], waits);
    }
}
