using System.Text;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Konzen.Privacy.Tests.Notices;

public sealed class SurveyInvitationsTests
{
    private const string Surveys = SurveyInvitations.Purpose;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static readonly SurveyInvitation Invitation = new(
        new LocalizedText("Domain search satisfaction 2027", "2027 域名搜索满意度调查"),
        new LocalizedText("https://surveys.konzen.example/s/2027?lang=en", "https://surveys.konzen.example/s/2027?lang=zh-CN"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S4.8")]
    public async Task Send_MixOfConsents_QueuesOnlyForSubjectsWhoseConsentHoldsNow(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var mailed = await bed.AddSubjectAsync(Ct, email: "opted.in@example.cn");
        var texted = await bed.AddSubjectAsync(Ct, phone: "+8613800138001");
        var never = await bed.AddSubjectAsync(Ct, email: "never@example.cn");
        var withdrew = await bed.AddSubjectAsync(Ct, email: "withdrew@example.cn");
        var otherPurpose = await bed.AddSubjectAsync(Ct, email: "ads.only@example.cn");
        await bed.ConsentAsync(mailed, Surveys, true, Ct);
        await bed.ConsentAsync(texted, Surveys, true, Ct);
        await bed.ConsentAsync(withdrew, Surveys, true, Ct);
        bed.Time.Advance(TimeSpan.FromMinutes(1));
        await bed.ConsentAsync(withdrew, Surveys, false, Ct);
        await bed.ConsentAsync(otherPurpose, "marketing.advertising.profiling", true, Ct);

        var result = await bed.RunAsync(s => s.GetRequiredService<SurveyInvitations>().SendAsync(Invitation, "staff:ana", Ct));

        Assert.True(result.Accepted);
        Assert.Equal(2, result.Queued);
        var rows = await bed.RowsAsync<Notification>(Ct);
        Assert.Equal(
            [(mailed, NotificationChannel.InApp), (mailed, NotificationChannel.Email), (texted, NotificationChannel.InApp), (texted, NotificationChannel.Sms)],
            rows.Select(r => (r.SubjectId, r.Channel)).OrderBy(r => r.SubjectId == mailed ? 0 : 1).ThenBy(r => r.Channel));
        Assert.All(rows, r => Assert.Equal("survey-invitation", r.TemplateKey));
        Assert.DoesNotContain(rows, r => r.SubjectId == never || r.SubjectId == withdrew || r.SubjectId == otherPurpose);

        // The subject sees it in the privacy center, and staff's action is on the record with the count.
        var shown = Assert.Single(await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().InAppAsync(mailed, Ct)));
        Assert.Equal("Survey invitation: Domain search satisfaction 2027", shown.Subject);
        Assert.Contains("https://surveys.konzen.example/s/2027?lang=en", shown.Body, StringComparison.Ordinal);
        var entry = Assert.Single(await bed.RowsAsync<AuditEntry>(Ct), e => e.Action == "survey.invited");
        Assert.Equal(("staff:ana", Surveys, $"survey {result.SurveyId:D}: queued for 2 consenting subjects"), (entry.Actor, entry.Purpose, entry.Detail));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S4.8")]
    [Trait("Clause", "S8.1")]
    public async Task Send_MinorWithAGrantOnRecord_IsNotInvited(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var adult = await bed.AddSubjectAsync(Ct, email: "adult@example.cn");
        await bed.ConsentAsync(adult, Surveys, true, Ct);

        // A 16-year-old whose guardian is verified, with a grant to surveys written straight into the ledger
        // table, past every check the ledger makes: the purpose gate alone must keep the invitation away.
        var minor = await bed.AddSubjectAsync(Ct, email: "minor@example.cn", birthDate: "2010-03-01");
        var policyHash = bed.Services.GetRequiredService<CompiledPolicy>().Version.ContentHash;
        await using (var db = bed.Store.NewDataContext())
        {
            db.Set<MinorAccount>().Add(new MinorAccount { SubjectId = minor, CreatedAt = NoticesBed.Start, GuardianVerifiedAt = NoticesBed.Start });
            db.Set<Privacy.Consent.ConsentEvent>().Add(new Privacy.Consent.ConsentEvent
            {
                SubjectId = minor,
                PurposeKey = Surveys,
                Granted = true,
                PolicyHash = policyHash,
                Method = Privacy.Consent.ConsentMethod.Api,
                At = NoticesBed.Start,
                ReceiptId = Guid.CreateVersion7(),
                Receipt = "forced",
            });
            await db.SaveChangesAsync(Ct);
        }

        var result = await bed.RunAsync(s => s.GetRequiredService<SurveyInvitations>().SendAsync(Invitation, "staff:ana", Ct));

        Assert.Equal(1, result.Queued);
        Assert.DoesNotContain(await bed.RowsAsync<Notification>(Ct), r => r.SubjectId == minor);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S4.8")]
    public async Task Dispatch_SubjectWithdrewAfterQueueing_MailsOnlyTheOneWhoseConsentStillHolds(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var stays = await bed.AddSubjectAsync(Ct, email: "stays@example.cn");
        var leaves = await bed.AddSubjectAsync(Ct, email: "leaves@example.cn");
        var leavesByPhone = await bed.AddSubjectAsync(Ct, phone: "+8613800138002");
        foreach (var subject in new[] { stays, leaves, leavesByPhone })
        {
            await bed.ConsentAsync(subject, Surveys, true, Ct);
        }

        Assert.Equal(3, (await bed.RunAsync(s => s.GetRequiredService<SurveyInvitations>().SendAsync(Invitation, "staff:ana", Ct))).Queued);
        bed.Time.Advance(TimeSpan.FromSeconds(10));
        await bed.ConsentAsync(leaves, Surveys, false, Ct);
        await bed.ConsentAsync(leavesByPhone, Surveys, false, Ct);

        var result = await bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct));

        Assert.Equal(new NotificationDispatchResult(NotificationDispatchOutcome.Completed, 1, 0, 2), result);
        var mail = Assert.Single(await bed.Smtp.WaitForAsync(1, Deadline));
        Assert.Equal("stays@example.cn", mail.To.Mailboxes.Single().Address);
        Assert.Empty(await bed.RunAsync(s => SmsOutbox.ReadAsync(s.GetRequiredService<PrivacyDbContext>(), s.GetRequiredService<SubjectSecrets>(), cancellationToken: Ct)));
        var deliveries = (await bed.RowsAsync<Notification>(Ct)).Where(n => n.Channel != NotificationChannel.InApp).ToList();
        Assert.Equal((NotificationStatus.Sent, (string?)null), deliveries.Where(n => n.SubjectId == stays).Select(n => (n.Status, n.Error)).Single());
        Assert.All(deliveries.Where(n => n.SubjectId != stays), n => Assert.Equal((NotificationStatus.Failed, "consent-not-held"), (n.Status, n.Error)));

        // The address was asked for surveys, and the gate's refusal is on the record: it was never read.
        var reads = (await bed.RowsAsync<AuditEntry>(Ct)).Where(e => e.Action == "field.read" && e.Purpose == Surveys).ToList();
        Assert.Contains(reads, e => e.SubjectId == stays && e.Detail!.StartsWith("allowed", StringComparison.Ordinal));
        Assert.Contains(reads, e => e.SubjectId == leaves && e.Detail!.StartsWith("denied", StringComparison.Ordinal));

        // Given up for good: a later run, after any back-off, sends nothing more.
        bed.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(new NotificationDispatchResult(NotificationDispatchOutcome.Completed, 0, 0, 0), await bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct)));
        Assert.Single(bed.Smtp.Messages);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S4.8")]
    public async Task Dispatch_EnglishAndChineseSubjects_MailsEachItsLanguageInUtf8Mime(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var english = await bed.AddSubjectAsync(Ct, email: "reader.en@example.com");
        var chinese = await bed.AddSubjectAsync(Ct, email: "reader.zh@example.cn", language: PolicyLanguage.ZhCn);
        await bed.ConsentAsync(english, Surveys, true, Ct);
        await bed.ConsentAsync(chinese, Surveys, true, Ct);
        await bed.RunAsync(s => s.GetRequiredService<SurveyInvitations>().SendAsync(Invitation, "staff:ana", Ct));

        Assert.Equal(2, (await bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct))).Sent);

        var mails = await bed.Smtp.WaitForAsync(2, Deadline);
        var en = mails.Single(m => m.To.Mailboxes.Single().Address == "reader.en@example.com");
        var zh = mails.Single(m => m.To.Mailboxes.Single().Address == "reader.zh@example.cn");
        Assert.Equal("Survey invitation: Domain search satisfaction 2027", en.Subject);
        Assert.Equal(
            "You agreed to be invited to surveys about our products and services, so we invite you to this one: Domain search satisfaction 2027.\n\n"
            + "Take part here: https://surveys.konzen.example/s/2027?lang=en\n\n"
            + "Taking part is voluntary. You can stop these invitations at any time by withdrawing your consent to surveys in the privacy center.",
            Normalize(en.TextBody));
        Assert.Equal("问卷调查邀请：2027 域名搜索满意度调查", zh.Subject);
        Assert.Equal(
            "您同意接收有关我们产品和服务的问卷调查邀请，因此我们邀请您参与本次调查：2027 域名搜索满意度调查。\n\n"
            + "参与链接：https://surveys.konzen.example/s/2027?lang=zh-CN\n\n"
            + "参与完全自愿。您可以随时在隐私中心撤回对问卷调查的同意，停止接收此类邀请。",
            Normalize(zh.TextBody));

        // On the wire the Chinese subject line is an RFC 2047 encoded word in UTF-8 (headers are ASCII),
        // and the body a text/plain part that declares its UTF-8 charset.
        var rawSubject = Encoding.ASCII.GetString(zh.Headers.First(h => h.Id == HeaderId.Subject).RawValue).Trim();
        Assert.StartsWith("=?utf-8?", rawSubject, StringComparison.OrdinalIgnoreCase);
        Assert.All(zh.Headers.First(h => h.Id == HeaderId.Subject).RawValue, b => Assert.True(b < 0x80));
        var body = Assert.IsType<TextPart>(zh.Body);
        Assert.Equal(("text/plain", "utf-8"), (body.ContentType.MimeType, body.ContentType.Charset?.ToLowerInvariant()));
        Assert.Contains("问卷调查", body.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Dispatch_MailServerRefusesTwice_RetriesAfterDoublingBackoffThenDelivers(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct, settings: new Dictionary<string, string?> { ["Notifications:BaseBackoff"] = "00:01:00" });
        var subject = await bed.AddSubjectAsync(Ct, email: "patient@example.cn", language: PolicyLanguage.ZhCn);
        await bed.ConsentAsync(subject, Surveys, true, Ct);
        await bed.RunAsync(s => s.GetRequiredService<SurveyInvitations>().SendAsync(Invitation, "staff:ana", Ct));
        bed.Smtp.RefuseNext(2);
        Task<NotificationDispatchResult> Dispatch() => bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct));
        async Task<Notification> Mail() => (await bed.RowsAsync<Notification>(Ct)).Single(n => n.Channel == NotificationChannel.Email);

        Assert.Equal(1, (await Dispatch()).Retrying);
        Assert.Equal((1, NoticesBed.Start.AddMinutes(1)), ((await Mail()).Attempts, (await Mail()).NextAttemptAt));

        bed.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, (await Dispatch()).Retrying + (await Dispatch()).Sent);
        Assert.Equal(1, bed.Smtp.Refused);

        bed.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await Dispatch()).Retrying);
        Assert.Equal((2, bed.Time.GetUtcNow().AddMinutes(2)), ((await Mail()).Attempts, (await Mail()).NextAttemptAt));

        bed.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, (await Dispatch()).Sent);

        Assert.Equal(2, bed.Smtp.Refused);
        var mail = Assert.Single(await bed.Smtp.WaitForAsync(1, Deadline));
        Assert.Equal("问卷调查邀请：2027 域名搜索满意度调查", mail.Subject);
        Assert.Equal((3, NotificationStatus.Sent), ((await Mail()).Attempts, (await Mail()).Status));
        Assert.DoesNotContain(bed.Logs.Lines, l => l.Contains("patient@", StringComparison.OrdinalIgnoreCase) || l.Contains("问卷", StringComparison.Ordinal));
    }

    public static TheoryData<DatabaseProvider, string, string?, string?, string?, string?> BadInvitations()
    {
        var data = new TheoryData<DatabaseProvider, string, string?, string?, string?, string?>();
        foreach (var provider in new[] { DatabaseProvider.Sqlite, DatabaseProvider.Postgres })
        {
            data.Add(provider, "title.zh-CN", "Survey", null, "https://s.example/en", "https://s.example/zh");
            data.Add(provider, "link.en", "Survey", "调查", null, "https://s.example/zh");
            data.Add(provider, "title.en", "  ", "调查", "https://s.example/en", "https://s.example/zh");
            data.Add(provider, "title.en", "Survey\r\nBcc: everyone@example.com", "调查", "https://s.example/en", "https://s.example/zh");
            data.Add(provider, "link.en", "Survey", "调查", "javascript:alert(1)", "https://s.example/zh");
            data.Add(provider, "link.zh-CN", "Survey", "调查", "https://s.example/en", "ftp://s.example/zh");
            data.Add(provider, "link.en", "Survey", "调查", "http://s.example/en", "https://s.example/zh");
            data.Add(provider, "link.en", "Survey", "调查", "/relative/path", "https://s.example/zh");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BadInvitations))]
    [Trait("Clause", "S4.8")]
    public async Task Send_BadInvitation_RefusesTheFieldAndChangesNothing(
        DatabaseProvider provider, string field, string? titleEn, string? titleZh, string? linkEn, string? linkZh)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var subject = await bed.AddSubjectAsync(Ct, email: "opted.in@example.cn");
        await bed.ConsentAsync(subject, Surveys, true, Ct);
        var auditBefore = (await bed.RowsAsync<AuditEntry>(Ct)).Count;

        var result = await bed.RunAsync(s => s.GetRequiredService<SurveyInvitations>().SendAsync(
            new SurveyInvitation(new LocalizedText(titleEn!, titleZh!), new LocalizedText(linkEn!, linkZh!)), "staff:ana", Ct));

        Assert.False(result.Accepted);
        Assert.Equal(field, Assert.Single(result.Errors).Field);
        Assert.Equal(0, result.Queued);
        Assert.Empty(await bed.RowsAsync<Notification>(Ct));
        Assert.Equal(auditBefore, (await bed.RowsAsync<AuditEntry>(Ct)).Count);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task EnqueueForAll_SeveralBatchesAndASubjectWithoutKey_WritesEverySubjectOnceInItsLanguageUnderItsKey(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct, settings: new Dictionary<string, string?> { ["Notifications:EnqueueBatchSize"] = "2" });
        var subjects = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            subjects.Add(await bed.AddSubjectAsync(Ct, email: $"many{i}@example.cn", language: i % 2 == 0 ? PolicyLanguage.ZhCn : null));
        }

        // A subject that never had a field written has no data key yet: the bulk path creates it.
        var keyless = Privacy.Testing.VaultServices.NewSubject();
        await bed.RunAsync(async s =>
        {
            var db = s.GetRequiredService<PrivacyDbContext>();
            db.Add(keyless);
            await db.SaveChangesAsync(Ct);
        });
        subjects.Add(keyless.Id);
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["from"] = "Konzen", ["to"] = "Acme Domains Ltd", ["effective"] = "2027-01-01", ["policyVersion"] = "1.0.0", ["policyHash"] = "abc",
        };

        var reached = await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().EnqueueForAllAsync(NotificationTemplates.ControllerTransferred, values, Ct));

        Assert.Equal(5, reached);
        var rows = await bed.RowsAsync<Notification>(Ct);
        Assert.Equal(9, rows.Count);
        Assert.Equal(rows.Count, rows.Select(r => r.Id).Distinct().Count());
        Assert.Equal(subjects.Order(), rows.Where(r => r.Channel == NotificationChannel.InApp).Select(r => r.SubjectId).Order());
        Assert.Equal(NotificationChannel.InApp, Assert.Single(rows, r => r.SubjectId == keyless.Id).Channel);
        for (var i = 0; i < 4; i++)
        {
            var shown = Assert.Single(await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().InAppAsync(subjects[i], Ct)));
            Assert.Equal(i % 2 == 0 ? "Acme Domains Ltd 现在负责处理您的个人信息" : "Acme Domains Ltd is now responsible for your personal information", shown.Subject);
        }

        var keylessNotice = Assert.Single(await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().InAppAsync(keyless.Id, Ct)));

        // The ids were stored as EF Core stores them: a lookup by id finds the row.
        Assert.True(await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().MarkReadAsync(keyless.Id, keylessNotice.Id, Ct)));
    }

    // MimeKit may hand the body back with CRLF line ends, as it travelled.
    private static string Normalize(string? text) => (text ?? string.Empty).Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n');
}
