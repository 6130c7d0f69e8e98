using System.Text;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Rights;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Konzen.Privacy.Tests.Vault;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Tests.Rights;

public sealed class RequestsTests
{
    private const string Staff = "staff:ana";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Fifteen working days from Monday 30 November 2026: Monday 21 December ends the period.</summary>
    private static readonly DateTimeOffset FifteenDaysDue = new DateTimeOffset(2026, 12, 22, 0, 0, 0, TimeSpan.FromHours(8)).ToUniversalTime();

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.3")]
    public async Task Lifecycle_FiledAssignedExtendedAnsweredClosed_HistoryDeadlineAndAuditRecordEveryStep(DatabaseProvider provider)
    {
        await using var bed = await RequestsBed.CreateAsync(provider, Cancel);
        var subjectId = await bed.AddSubjectAsync(Cancel);
        await bed.AddStaffAsync("ana", Cancel);

        var filed = await bed.RunAsync(r => r.FileAsync(subjectId, RequestKind.Access, "privacy-center", "Please send me what you hold about me.", Cancel));
        var id = filed.Id!.Value;
        bed.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(RequestRefusal.None, (await bed.RunAsync(r => r.AssignAsync(id, "ana", Staff, Cancel))).Refusal);
        Assert.Equal(RequestRefusal.None, (await bed.RunAsync(r => r.ExtendAsync(id, "The export of your log events takes longer.", Staff, Cancel))).Refusal);
        var second = await bed.RunAsync(r => r.ExtendAsync(id, "Again.", Staff, Cancel));
        Assert.Equal(RequestRefusal.WrongStatus, (await bed.RunAsync(r => r.CloseAsync(id, Staff, Cancel))).Refusal);
        Assert.Equal(RequestRefusal.None, (await bed.RunAsync(r => r.AnswerAsync(id, "Your export is attached.", Staff, Cancel))).Refusal);
        Assert.Equal(RequestRefusal.None, (await bed.RunAsync(r => r.CloseAsync(id, Staff, Cancel))).Refusal);

        Assert.Equal(RequestRefusal.AlreadyExtended, second.Refusal);
        var mine = Assert.Single(await bed.RunAsync(r => r.MineAsync(subjectId, Cancel)));
        Assert.Equal((RequestStatus.Closed, "ana", "privacy-center"), (mine.Status, mine.Assignee, mine.Channel));
        Assert.Equal(("Please send me what you hold about me.", "Your export is attached.", "The export of your log events takes longer."), (mine.Text, mine.Answer, mine.ExtensionReason));
        Assert.Equal(FifteenDaysDue, mine.OriginalDueAt);
        // Extended once by the same period, counted on from the end of the first: 22 December 2026 is day one and
        // Monday 11 January 2027 day fifteen. 2027 has no calendar file yet (1 January counted as a working
        // Friday), so the new deadline says it is estimated.
        Assert.Equal(new DateTimeOffset(2027, 1, 11, 16, 0, 0, TimeSpan.Zero), mine.DueAt);
        Assert.True(mine.DueEstimated);
        Assert.Equal(
            [(null, RequestStatus.Received), (RequestStatus.Received, RequestStatus.InProgress), (RequestStatus.InProgress, RequestStatus.InProgress),
                (RequestStatus.InProgress, RequestStatus.Answered), (RequestStatus.Answered, RequestStatus.Closed)],
            mine.History.Select(h => (h.From, h.To)));
        await using var db = bed.Store.NewDataContext();
        var actions = await db.Set<AuditEntry>().Where(e => e.SubjectId == subjectId).OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync(Cancel);
        Assert.Equal(["request.filed", "request.assigned", "request.extended", "request.answered", "request.closed"], actions);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S0.4")]
    public async Task File_UnknownChannelEmptyTextOrUnknownStaff_RefusedAndStoreUnchanged(DatabaseProvider provider)
    {
        await using var bed = await RequestsBed.CreateAsync(provider, Cancel);
        var subjectId = await bed.AddSubjectAsync(Cancel);
        var filed = await bed.RunAsync(r => r.FileAsync(subjectId, RequestKind.Question, "email", "What do you keep?", Cancel));
        var before = await CountsAsync(bed.Store);

        var channel = await bed.RunAsync(r => r.FileAsync(subjectId, RequestKind.Question, "fax", "What do you keep?", Cancel));
        var empty = await bed.RunAsync(r => r.FileAsync(subjectId, RequestKind.Question, "email", "   ", Cancel));
        var tooLong = await bed.RunAsync(r => r.FileAsync(subjectId, RequestKind.Question, "email", new string('x', PrivacyRequests.MaxTextLength + 1), Cancel));
        var kind = await bed.RunAsync(r => r.FileAsync(subjectId, (RequestKind)99, "email", "What do you keep?", Cancel));
        var staff = await bed.RunAsync(r => r.AssignAsync(filed.Id!.Value, "nobody", Staff, Cancel));
        var answer = await bed.RunAsync(r => r.AnswerAsync(filed.Id!.Value, "", Staff, Cancel));
        var missing = await bed.RunAsync(r => r.CloseAsync(Guid.NewGuid(), Staff, Cancel));
        var anonymousQuestion = await bed.RunAsync(r => r.ReportAsync(RequestKind.Access, "email", "Who am I?", Cancel));

        Assert.Equal(
            [RequestRefusal.UnknownChannel, RequestRefusal.InvalidText, RequestRefusal.InvalidText, RequestRefusal.InvalidKind, RequestRefusal.UnknownStaff,
                RequestRefusal.InvalidText, RequestRefusal.NotFound, RequestRefusal.InvalidKind],
            [channel.Refusal, empty.Refusal, tooLong.Refusal, kind.Refusal, staff.Refusal, answer.Refusal, missing.Refusal, anonymousQuestion.Refusal]);
        Assert.Equal(before, await CountsAsync(bed.Store));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.2")]
    public async Task Report_Anonymous_TokenReadsTheAnswerAndAWrongTokenReadsNothing(DatabaseProvider provider)
    {
        await using var bed = await RequestsBed.CreateAsync(provider, Cancel);

        var filed = await bed.RunAsync(r => r.ReportAsync(RequestKind.Report, "privacy-center", "Your app shares my location.", Cancel));
        var id = filed.Id!.Value;
        await bed.RunAsync(r => r.AnswerAsync(id, "We checked and stopped it.", Staff, Cancel));

        var read = await bed.RunAsync(r => r.ReportByTokenAsync(id, filed.Token!, Cancel));
        var wrong = await bed.RunAsync(r => r.ReportByTokenAsync(id, filed.Token![..^1] + (filed.Token[^1] == 'A' ? "B" : "A"), Cancel));
        Assert.NotNull(read);
        Assert.Equal(("Your app shares my location.", "We checked and stopped it.", RequestStatus.Answered, (Guid?)null), (read.Text, read.Answer, read.Status, read.SubjectId));
        Assert.Null(wrong);
        await using var db = bed.Store.NewDataContext();
        var stored = await db.Set<PrivacyRequest>().SingleAsync(r => r.Id == id, Cancel);
        // Only the token's hash is kept: the store alone cannot read the answer.
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(filed.Token!)), stored.TokenHash);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.3")]
    public async Task Texts_SubjectAndAnonymous_AreNotInPlaintextInTheStore(DatabaseProvider provider)
    {
        await using var bed = await RequestsBed.CreateAsync(provider, Cancel);
        var subjectId = await bed.AddSubjectAsync(Cancel);
        var filed = await bed.RunAsync(r => r.FileAsync(subjectId, RequestKind.Correction, "email", "My new address is Zhongguancun Street 77", Cancel));
        var report = await bed.RunAsync(r => r.ReportAsync(RequestKind.Complaint, "post", "My neighbour Wang Xiaoming saw my data", Cancel));
        await bed.RunAsync(r => r.AnswerAsync(filed.Id!.Value, "Corrected to Haidian Road 12", Staff, Cancel));
        await bed.RunAsync(r => r.ExtendAsync(report.Id!.Value, "Investigating Wang Xiaoming's claim", Staff, Cancel));

        var raw = await StoreScan.ReadAllAsync(bed.Store);

        foreach (var secret in new[] { "Zhongguancun", "Wang Xiaoming", "Haidian Road", report.Token! })
        {
            Assert.DoesNotContain(secret, Encoding.UTF8.GetString(raw), StringComparison.Ordinal);
        }

        var mine = Assert.Single(await bed.RunAsync(r => r.MineAsync(subjectId, Cancel)));
        Assert.Equal("Corrected to Haidian Road 12", mine.Answer);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.2")]
    public async Task Escalate_OpenRequestWithinThreeWorkingDaysOfItsDeadline_EscalatedOnceAndTheOfficerIsMailedWithoutPersonalData(DatabaseProvider provider)
    {
        await using var bed = await RequestsBed.CreateAsync(provider, Cancel);
        var subjectId = await bed.AddSubjectAsync(Cancel);
        var open = (await bed.RunAsync(r => r.FileAsync(subjectId, RequestKind.Deletion, "email", "Delete my location history, Li Lei", Cancel))).Id!.Value;
        var answered = (await bed.RunAsync(r => r.FileAsync(subjectId, RequestKind.Question, "email", "Why?", Cancel))).Id!.Value;
        await bed.RunAsync(r => r.AnswerAsync(answered, "Because.", Staff, Cancel));

        // Tuesday 15 December: the deadline (end of Monday 21st) is four working days away.
        bed.Time.SetUtcNow(new DateTimeOffset(2026, 12, 15, 9, 0, 0, TimeSpan.FromHours(8)).ToUniversalTime());
        var early = await bed.EscalateAsync(Cancel);
        // Wednesday 16th: three working days away (17th, 18th, 21st).
        bed.Time.SetUtcNow(new DateTimeOffset(2026, 12, 16, 9, 0, 0, TimeSpan.FromHours(8)).ToUniversalTime());
        var due = await bed.EscalateAsync(Cancel);
        var again = await bed.EscalateAsync(Cancel);

        Assert.Empty(early.Escalated);
        Assert.Equal([open], due.Escalated);
        Assert.Empty(again.Escalated);
        var mail = Assert.Single(await bed.Smtp.WaitForAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Equal(RequestsBed.Officer, mail.To.Mailboxes.Single().Address);
        Assert.Contains(open.ToString(), mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("deletion", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("2026-12-22 00:00", mail.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("Li Lei", mail.TextBody + mail.Subject, StringComparison.Ordinal);
        Assert.DoesNotContain(subjectId.ToString(), mail.TextBody + mail.Subject, StringComparison.Ordinal);
        var requests = await bed.RunAsync(r => r.MineAsync(subjectId, Cancel));
        Assert.Equal(RequestStatus.Escalated, requests.Single(r => r.Id == open).Status);
        Assert.Equal(RequestStatus.Answered, requests.Single(r => r.Id == answered).Status);
        Assert.Equal("system", requests.Single(r => r.Id == open).History[^1].Actor);

        // Extended, it is no longer near its deadline: back in progress, and not escalated again until near the new one.
        Assert.Equal(RequestRefusal.None, (await bed.RunAsync(r => r.ExtendAsync(open, "We need the backups restored.", Staff, Cancel))).Refusal);
        var afterExtension = await bed.EscalateAsync(Cancel);
        Assert.Empty(afterExtension.Escalated);
        Assert.Equal(RequestStatus.InProgress, (await bed.RunAsync(r => r.MineAsync(subjectId, open, Cancel)))!.Status);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.2")]
    public async Task Escalator_OneIntervalOnTheClock_EscalatesWithoutAnyoneAsking(DatabaseProvider provider)
    {
        await using var bed = await RequestsBed.CreateAsync(provider, Cancel);
        var subjectId = await bed.AddSubjectAsync(Cancel);
        var open = (await bed.RunAsync(r => r.FileAsync(subjectId, RequestKind.Withdrawal, "post", "Stop the newsletter.", Cancel))).Id!.Value;
        bed.Time.SetUtcNow(new DateTimeOffset(2026, 12, 16, 9, 0, 0, TimeSpan.FromHours(8)).ToUniversalTime());
        var escalator = bed.Escalator;
        await escalator.StartAsync(Cancel);
        try
        {
            var run = escalator.NextRun;
            bed.Time.Advance(new RequestOptions().EscalationInterval);

            var result = await run.WaitAsync(TimeSpan.FromSeconds(30), Cancel);

            Assert.Equal([open], result!.Escalated);
            Assert.Single(await bed.Smtp.WaitForAsync(1, TimeSpan.FromSeconds(10)));
        }
        finally
        {
            await escalator.StopAsync(Cancel);
        }
    }

    private static async Task<(int Requests, int Events, int Audit)> CountsAsync(TestStore store)
    {
        await using var db = store.NewDataContext();
        return (await db.Set<PrivacyRequest>().CountAsync(Cancel), await db.Set<PrivacyRequestEvent>().CountAsync(Cancel), await db.Set<AuditEntry>().CountAsync(Cancel));
    }
}
