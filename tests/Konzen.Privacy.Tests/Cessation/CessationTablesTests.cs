using System.Data.Common;
using System.Text;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Cessation;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Rights;
using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Testing;
using Konzen.Privacy.Tests.Collection;
using Konzen.Privacy.Tests.Rights;
using Konzen.Privacy.Tests.Sharing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Cessation;

/// <summary>
/// The end of the service leaves no table behind (S2.5): every table of both models is classified, and
/// after a run on a store where every feature was used, no row holds a value anyone could read.
/// </summary>
public sealed class CessationTablesTests
{
    // Values people gave, each used once below; none may be found anywhere after the end.
    private const string Email = "marker.subject@example.cn";
    private const string Phone = "+8613800138777";
    private const string NewPhone = "+8613700137333";
    private const string GuardianPhone = "+8613900139555";
    private const string Page = "/domains/marker-page";
    private const string RequestText = "Marker request: please show me what you hold";
    private const string AnswerText = "Marker answer: here is everything";
    private const string ComplaintText = "Marker complaint: my data was shared";
    private const string ReportText = "Marker anonymous report: a leak at the front desk";
    private const string VisitorAddress = "203.0.113.77";
    private const string VisitorAgent = "MarkerAgent/1.0";

    private static readonly string[] Markers = [Email, Phone, NewPhone, GuardianPhone, Page, RequestText, AnswerText, ComplaintText, ReportText, VisitorAddress, VisitorAgent];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.5")]
    public async Task Tables_OfBothModels_AreEachInExactlyOneCessationList(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var db = store.NewDataContext();
        await using var keys = store.NewKeyContext();
        var tables = Tables(db).Concat(Tables(keys)).ToList();
        var lists = new[] { CessationTables.Deleted, CessationTables.KeptAnonymized, CessationTables.NoPersonalData };

        var unclassified = tables.Where(t => lists.Count(l => l.ContainsKey(t)) != 1).ToList();
        var unknown = lists.SelectMany(l => l.Keys).Except(tables, StringComparer.Ordinal).ToList();

        Assert.True(unclassified.Count == 0, $"tables in no cessation list, or in more than one: {string.Join(", ", unclassified)}");
        Assert.True(unknown.Count == 0, $"cessation lists name tables the models do not have: {string.Join(", ", unknown)}");
        Assert.All(lists.SelectMany(l => l.Values), reason => Assert.False(string.IsNullOrWhiteSpace(reason)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.5")]
    public async Task Run_AfterEveryFeatureWasUsed_LeavesNoReadableValueInAnyTable(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);

        // A subject with fields, location, log events, a request answered, a complaint, a pending change of
        // phone, a cancellation waiting for its code and data disclosed to a recipient.
        var subject = await CancellationBed.NewSubjectAsync(bed);
        await CancellationBed.FillAsync(bed, subject, Email, Phone, Page);
        var request = await With(bed, s => s.GetRequiredService<PrivacyRequests>().FileAsync(subject, RequestKind.Access, "email", RequestText, Ct));
        Assert.Equal(RequestRefusal.None, request.Refusal);
        Assert.Equal(RequestRefusal.None, (await With(bed, s => s.GetRequiredService<PrivacyRequests>().AnswerAsync(request.Id!.Value, AnswerText, SharingBed.Filer, Ct))).Refusal);
        Assert.Equal(RequestRefusal.None, (await With(bed, s => s.GetRequiredService<PrivacyRequests>().FileAsync(subject, RequestKind.Complaint, "email", ComplaintText, Ct))).Refusal);
        Assert.Equal(CorrectionRefusal.None, (await With(bed, s => s.GetRequiredService<Corrections>().StartAsync(subject, null, NewPhone, Ct))).Refusal);
        await CancellationBed.RequestCodeAsync(bed, subject);
        await SharingBed.ProcessorAsync(bed);
        Assert.True((await With(bed, s => s.GetRequiredService<ConsentLedger>().RecordAsync(subject, SharingBed.AdPerformance, true, ConsentMethod.Web, null, $"subject:{subject}", Ct))).Recorded);
        Assert.True((await SharingBed.DiscloseAsync(bed, SharingBed.Request("acme-measure", DisclosureBasis.Consent, SharingBed.AdPerformance, ["user.device"], [subject]))).Allowed);

        // An anonymous report, sealed under the requests key file rather than a subject's key.
        Assert.Equal(RequestRefusal.None, (await With(bed, s => s.GetRequiredService<PrivacyRequests>().ReportAsync(RequestKind.Report, "email", ReportText, Ct))).Refusal);

        // A minor who named a guardian, and a visitor of the consent banner.
        var minor = await bed.NewSubjectAsync();
        await SharingBed.BornAsync(bed, minor, "2013-03-01");
        await With(bed, async s =>
        {
            var db = s.GetRequiredService<PrivacyDbContext>();
            db.Add(new MinorAccount { SubjectId = minor, CreatedAt = bed.Time.GetUtcNow() });
            return await db.SaveChangesAsync(Ct);
        });
        Assert.Equal(GuardianRefusal.None, (await With(bed, s => s.GetRequiredService<Guardians>().NameAsync(minor, null, GuardianPhone, PolicyLanguage.En, Ct))).Refusal);
        var visitor = await With(bed, s => s.GetRequiredService<ConsentLedger>().RecordVisitorChoiceAsync(
            null, new Dictionary<string, bool> { ["analytics.reporting"] = true }, ConsentSet.None, new ConsentEvidence(VisitorAddress, VisitorAgent), Ct));
        Assert.Equal(ConsentRefusal.None, visitor.Refusal);

        // The end, announced (a notice to everyone) and run after its day.
        var day = DateOnly.FromDateTime(bed.Time.GetUtcNow().UtcDateTime).AddDays(1);
        Assert.Equal(CessationRefusal.None, (await With(bed, s => s.GetRequiredService<Cessations>().AnnounceAsync(day, "staff:cli", Ct))).Refusal);
        Assert.NotEmpty(await Rows(bed, "notifications"));
        Assert.NotEmpty(await Rows(bed, "sms_outbox"));
        bed.Time.Advance(TimeSpan.FromDays(2));
        var run = await With(bed, s => s.GetRequiredService<Cessations>().RunAsync("system", Ct));
        Assert.Equal(CessationRunOutcome.Completed, run.Outcome);

        // The report counts every table the lists say the end deletes or keeps anonymized, and no other (open
        // cancellations are deleted from a table whose other rows are kept, so it is counted under both).
        var report = run.Report!;
        Assert.Equal(CessationTables.Deleted.Keys.Append("cancellation_requests").Order(StringComparer.Ordinal), report.RowsDeleted.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(CessationTables.KeptAnonymized.Keys.Order(StringComparer.Ordinal), report.RowsAnonymized.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(
            (2, 1, 1, 1, 1, 1),
            (report.RowsDeleted["subjects"], report.RowsDeleted["minor_accounts"], report.RowsDeleted["visitors"], report.RowsDeleted["correction_requests"],
                report.RowsDeleted["cancellation_requests"], report.RowsAnonymized["disclosure_subjects"]));
        Assert.Equal(3, report.RowsAnonymized["privacy_requests"]);

        // Every deleted table is empty, in both stores.
        foreach (var table in CessationTables.Deleted.Keys)
        {
            Assert.True((await Rows(bed, table)).Count == 0, $"{table} still has rows after the end");
        }

        // What remains names only ids, hashes, counts and times: no value given above is in any cell, and no
        // cell holds more bytes than a hash (a sealed value could be opened by a key that outlived the end).
        var remaining = new List<(string Table, object?[] Row)>();
        foreach (var table in CessationTables.KeptAnonymized.Keys.Concat(CessationTables.NoPersonalData.Keys))
        {
            remaining.AddRange((await Rows(bed, table)).Select(r => (table, r)));
        }

        Assert.Contains(remaining, r => r.Table == "privacy_requests");
        Assert.Contains(remaining, r => r.Table == "consent_events");
        foreach (var (table, row) in remaining)
        {
            foreach (var cell in row.SelectMany(Cells))
            {
                switch (cell)
                {
                    case string text:
                        Assert.DoesNotContain(Markers, m => text.Contains(m, StringComparison.OrdinalIgnoreCase));
                        break;
                    case byte[] bytes:
                        Assert.True(bytes.Length <= 32, $"{table} keeps {bytes.Length} bytes in a cell: more than a hash");
                        Assert.DoesNotContain(Markers, m => Encoding.UTF8.GetString(bytes).Contains(m, StringComparison.OrdinalIgnoreCase));
                        break;
                }
            }
        }

        // A hash of a connection is kept nowhere: its key is a node file that outlives the end, and an
        // address can be found again by trying each one under it.
        await using var data = bed.Store.NewDataContext();
        Assert.All(await data.Set<ConsentEvent>().ToListAsync(Ct), e => Assert.Null(e.EvidenceHash));

        // Kept evidence still adds up: the audit chain is intact.
        Assert.True((await AuditVerifier.VerifyAsync(data, Ct)).Intact);
    }

    private static IEnumerable<string> Tables(DbContext context) =>
        context.Model.GetEntityTypes().Select(e => e.GetTableName()).OfType<string>().Distinct(StringComparer.Ordinal);

    private static async Task<T> With<T>(EventBed bed, Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = bed.Services.CreateScope();
        return await action(scope.ServiceProvider);
    }

    /// <summary>Every row of <paramref name="table"/>, read the way a copy of its database shows it, from whichever store has it.</summary>
    private static async Task<List<object?[]>> Rows(EventBed bed, string table)
    {
        await using var db = bed.Store.NewDataContext();
        await using var keys = bed.Store.NewKeyContext();
        DbContext context = Tables(db).Contains(table, StringComparer.Ordinal) ? db : keys;
        var connection = context.Database.GetDbConnection();
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM \"{table}\"";
        var rows = new List<object?[]>();
        await using DbDataReader reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            var values = new object?[reader.FieldCount];
            reader.GetValues(values!);
            rows.Add([.. values.Select(v => v is DBNull ? null : v)]);
        }

        return rows;
    }

    // A PostgreSQL array column (the categories of a disclosure, the ids of a legal request) is one cell of many values.
    private static IEnumerable<object?> Cells(object? value) =>
        value is System.Collections.IEnumerable items and not string and not byte[] ? items.Cast<object?>() : [value];
}
