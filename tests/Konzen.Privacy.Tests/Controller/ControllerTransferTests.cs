using Konzen.Privacy.Audit;
using Konzen.Privacy.Controller;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Tests.Notices;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Controller;

/// <summary>Controller transfer (S5.5): recorded, audited, bound to the same policy, and told to every subject through the outbox and a real SMTP server.</summary>
public sealed class ControllerTransferTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<ControllerTransferResult> TransferAsync(NoticesBed bed, string to, DateTimeOffset? effective = null) =>
        bed.RunAsync(s => s.GetRequiredService<ControllerTransfers>().TransferAsync(to, effective, "staff:cli", Ct));

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.5")]
    public async Task Transfer_WithFiveSubjects_NotifiesEachInTheirLanguageByMail(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var english = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            english.Add(await bed.AddSubjectAsync(Ct, email: $"subject{i}@example.cn"));
        }

        var chinese = await bed.AddSubjectAsync(Ct, email: "zhang.wei@example.cn", language: PolicyLanguage.ZhCn);
        var policy = bed.Services.GetRequiredService<CompiledPolicy>();

        var result = await TransferAsync(bed, "Acme Domains Ltd", new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(ControllerTransferRefusal.None, result.Refusal);
        var transfer = result.Transfer!;
        Assert.Equal(("Konzen", "Acme Domains Ltd", 5), (transfer.From, transfer.To, transfer.Notified));
        Assert.Equal((policy.Version.ContentHash, policy.Version.Number), (transfer.PolicyHash, transfer.PolicyVersion));

        // N subjects, N in-app notices and N mails in the outbox (batches of 3: two batches).
        var rows = await bed.RowsAsync<Notification>(Ct);
        Assert.Equal(5, rows.Count(r => r.Channel == NotificationChannel.InApp));
        Assert.Equal(5, rows.Count(r => r.Channel == NotificationChannel.Email));
        Assert.Equal(5, rows.Select(r => r.SubjectId).Distinct().Count());

        // The dispatcher sends them (batch size 3: two runs) to a real SMTP server.
        await bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct));
        await bed.RunAsync(s => s.GetRequiredService<NotificationDispatch>().RunAsync(Ct));
        var mails = await bed.Smtp.WaitForAsync(5, Deadline);
        Assert.Equal(5, mails.Count);
        var zh = Assert.Single(mails, m => m.To.Mailboxes.Single().Address == "zhang.wei@example.cn");
        Assert.Equal("Acme Domains Ltd 现在负责处理您的个人信息", zh.Subject);
        Assert.Contains("接替 Konzen", zh.TextBody, StringComparison.Ordinal);
        Assert.Contains(policy.Version.ContentHash, zh.TextBody, StringComparison.Ordinal);
        Assert.All(mails.Where(m => m != zh), m =>
        {
            Assert.Equal("Acme Domains Ltd is now responsible for your personal information", m.Subject);
            Assert.Contains("From 2027-01-01, Acme Domains Ltd takes over from Konzen", m.TextBody, StringComparison.Ordinal);
            Assert.Contains("What changes", m.TextBody, StringComparison.Ordinal);
            Assert.Contains("What stays the same", m.TextBody, StringComparison.Ordinal);
            Assert.Contains("cancel your account", m.TextBody, StringComparison.Ordinal);
            Assert.Contains(policy.Version.ContentHash, m.TextBody, StringComparison.Ordinal);
        });

        // The subject reads the same notice in the privacy center.
        var inApp = Assert.Single(await bed.RunAsync(s => s.GetRequiredService<NotificationOutbox>().InAppAsync(english[0], Ct)));
        Assert.Equal("controller-transferred", inApp.Template);

        var audit = await bed.RowsAsync<AuditEntry>(Ct);
        var recorded = Assert.Single(audit, e => e.Action == "controller.transferred");
        Assert.Equal("staff:cli", recorded.Actor);
        Assert.Contains(policy.Version.ContentHash, recorded.Detail, StringComparison.Ordinal);
        Assert.Single(audit, e => e.Action == "controller.notified");
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.5")]
    public async Task Transfer_ASecondTime_ChainsFromTheNewControllerUnderTheSamePolicy(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        await bed.AddSubjectAsync(Ct, email: "one@example.cn");
        var policy = bed.Services.GetRequiredService<CompiledPolicy>();

        await TransferAsync(bed, "Acme Domains Ltd");
        bed.Time.Advance(TimeSpan.FromDays(30));
        var second = await TransferAsync(bed, "Zenith Registry Co");

        Assert.Equal(("Acme Domains Ltd", "Zenith Registry Co"), (second.Transfer!.From, second.Transfer.To));
        var current = await bed.RunAsync(s => s.GetRequiredService<ControllerTransfers>().CurrentAsync(Ct));
        Assert.Equal(("Zenith Registry Co", NoticesBed.Start.AddDays(30), policy.Version.ContentHash), (current.Name, current.Since, current.PolicyHash));
        Assert.Equal([("Konzen", "Acme Domains Ltd"), ("Acme Domains Ltd", "Zenith Registry Co")], current.Transfers.Select(t => (t.From, t.To)));
        Assert.All(current.Transfers, t => Assert.Equal(policy.Version.ContentHash, t.PolicyHash));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.5")]
    public async Task Current_TransferEffectiveLater_NamesTheOldControllerUntilThatDay(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var day = NoticesBed.Start.AddDays(10);
        await TransferAsync(bed, "Acme Domains Ltd", day);
        Task<CurrentController> CurrentAsync() => bed.RunAsync(s => s.GetRequiredService<ControllerTransfers>().CurrentAsync(Ct));

        var before = await CurrentAsync();
        bed.Time.Advance(TimeSpan.FromDays(10));
        var after = await CurrentAsync();

        Assert.Equal(("Konzen", (DateTimeOffset?)null, "Acme Domains Ltd"), (before.Name, before.Since, before.Upcoming?.To));
        Assert.Equal(("Acme Domains Ltd", (DateTimeOffset?)day, (ControllerTransfer?)null), (after.Name, after.Since, after.Upcoming));

        // Refused: a transfer cannot take effect before the one it follows.
        Assert.Equal(ControllerTransferRefusal.EffectiveTooEarly, (await TransferAsync(bed, "Zenith Registry Co", day.AddDays(-1))).Refusal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Transfer_ToTheSameOrABlankName_RefusedAndNothingStored(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        await bed.AddSubjectAsync(Ct, email: "one@example.cn");
        var auditBefore = (await bed.RowsAsync<AuditEntry>(Ct)).Count;

        Assert.Equal(ControllerTransferRefusal.SameController, (await TransferAsync(bed, "Konzen")).Refusal);
        Assert.Equal(ControllerTransferRefusal.InvalidName, (await TransferAsync(bed, "   ")).Refusal);
        Assert.Equal(ControllerTransferRefusal.InvalidName, (await TransferAsync(bed, "Evil\nCo")).Refusal);
        Assert.Equal(ControllerTransferRefusal.InvalidName, (await TransferAsync(bed, new string('x', ControllerTransfers.MaxNameLength + 1))).Refusal);

        Assert.Empty(await bed.RowsAsync<ControllerTransfer>(Ct));
        Assert.Empty(await bed.RowsAsync<Notification>(Ct));
        Assert.Equal(auditBefore, (await bed.RowsAsync<AuditEntry>(Ct)).Count);
    }
}
