using Konzen.Privacy.Audit;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Consent;

/// <summary>The consent ledger on a running node: events appended, state derived, changes effective at once.</summary>
public sealed class ConsentLedgerTests
{
    private const string Analytics = "analytics.reporting";
    private static readonly ConsentEvidence Evidence = new("203.0.113.77", "Mozilla/5.0 (KonzenTest; rv:1.0) Gecko/20100101");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S0.3")]
    public async Task Decide_NewSubject_DeniesEveryOptionalPurposeAsNotConsented(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);
        var subject = await node.AddSubjectAsync(Cancel);
        var policy = node.Services.GetRequiredService<CompiledPolicy>();
        var optional = policy.Purposes.Where(p => p.Optional).ToList();

        var decisions = await node.WithLedgerAsync(async ledger =>
        {
            var list = new List<PurposeDecision>();
            foreach (var purpose in optional)
            {
                list.Add(await ledger.DecideAsync(subject, policy.Category(purpose.Categories[0]), policy.Purpose(purpose.Key), Cancel));
            }

            return list;
        });

        Assert.NotEmpty(optional);
        Assert.All(decisions, d => Assert.Equal((false, DecisionReason.NotConsented), (d.Allowed, d.Reason)));
        Assert.Equal(ConsentSet.None, (await node.WithLedgerAsync(l => l.GetStateAsync(subject, Cancel).AsTask())).Consents);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    public async Task Decide_AfterGrantThenWithdrawal_AllowsThenDeniesAtOnce(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);
        var subject = await node.AddSubjectAsync(Cancel);
        var policy = node.Services.GetRequiredService<CompiledPolicy>();
        var purpose = policy.Purpose(Analytics);
        var category = policy.Category(policy[purpose].Categories[0]);

        var granted = await node.WithLedgerAsync(l => l.RecordAsync(subject, Analytics, true, ConsentMethod.Web, Evidence, $"subject:{subject}", Cancel));
        var afterGrant = await node.WithLedgerAsync(l => l.DecideAsync(subject, category, purpose, Cancel).AsTask());
        var cachedAfterGrant = node.Cache.TryGet(subject, out _);
        var withdrawn = await node.WithLedgerAsync(l => l.RecordAsync(subject, Analytics, false, ConsentMethod.App, Evidence, $"subject:{subject}", Cancel));
        var afterWithdrawal = await node.WithLedgerAsync(l => l.DecideAsync(subject, category, purpose, Cancel).AsTask());

        Assert.True(granted.Recorded);
        Assert.True(withdrawn.Recorded);
        Assert.Equal((true, DecisionReason.Consented), (afterGrant.Allowed, afterGrant.Reason));
        Assert.True(cachedAfterGrant, "the grant's state should have been cached, so the withdrawal had a cache to clear");
        Assert.Equal((false, DecisionReason.NotConsented), (afterWithdrawal.Allowed, afterWithdrawal.Reason));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task GetStates_ManySubjects_AgreesWithTheStateOfEachAndLeavesUnknownIdsUndeclared(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);
        var granted = await node.AddSubjectAsync(Cancel);
        var withdrew = await node.AddSubjectAsync(Cancel);
        var never = await node.AddSubjectAsync(Cancel);
        await node.WithLedgerAsync(l => l.RecordAsync(granted, Analytics, true, ConsentMethod.Web, Evidence, "test", Cancel));
        await node.WithLedgerAsync(l => l.RecordAsync(withdrew, Analytics, true, ConsentMethod.Web, Evidence, "test", Cancel));
        await node.WithLedgerAsync(l => l.RecordAsync(withdrew, Analytics, false, ConsentMethod.Web, Evidence, "test", Cancel));
        var unknown = Guid.NewGuid();
        Guid[] ids = [granted, withdrew, never, unknown, granted];

        var states = await node.WithLedgerAsync(l => l.GetStatesAsync(ids, Cancel));

        Assert.Equal(4, states.Count);
        foreach (var id in ids)
        {
            Assert.Equal(await node.WithLedgerAsync(l => l.GetStateAsync(id, Cancel).AsTask()), states[id]);
        }

        var policy = node.Services.GetRequiredService<CompiledPolicy>();
        Assert.True(states[granted].Consents.Contains(policy.Purpose(Analytics)));
        Assert.False(states[withdrew].Consents.Contains(policy.Purpose(Analytics)));
        Assert.Equal(RegionId.Undeclared, states[unknown].Region);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task GetHistory_AfterSeveralChanges_ListsEveryEventInOrderWithAuditEntries(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);
        var subject = await node.AddSubjectAsync(Cancel);
        var policy = node.Services.GetRequiredService<CompiledPolicy>();
        (string Purpose, bool Granted, ConsentMethod Method)[] changes =
        [
            (Analytics, true, ConsentMethod.Web),
            ("functional.service.improve", true, ConsentMethod.App),
            (Analytics, false, ConsentMethod.Api),
            (Analytics, true, ConsentMethod.Guardian),
        ];

        var receipts = new List<Guid>();
        foreach (var (purpose, granted, method) in changes)
        {
            var change = await node.WithLedgerAsync(l => l.RecordAsync(subject, purpose, granted, method, Evidence, $"subject:{subject}", Cancel));
            receipts.Add(change.Receipt!.ReceiptId);
        }

        var history = await node.WithLedgerAsync(l => l.GetHistoryAsync(subject, Cancel));
        await using var db = store.NewDataContext();
        var audit = await db.Set<AuditEntry>().Where(e => e.SubjectId == subject).OrderBy(e => e.Sequence).ToListAsync(Cancel);

        Assert.Equal(changes, history.Select(e => (e.PurposeKey, e.Granted, e.Method)).ToArray());
        Assert.Equal(receipts, history.Select(e => e.ReceiptId));
        Assert.All(history, e => Assert.Equal(policy.Version.ContentHash, e.PolicyHash));
        Assert.Equal(
            ["consent.granted", "consent.granted", "consent.withdrawn", "consent.granted"],
            audit.Select(e => e.Action));
        Assert.All(audit, e => Assert.Equal($"subject:{subject}", e.Actor));
        Assert.Equal(changes.Select(c => c.Purpose), audit.Select(e => e.Purpose!));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Record_Withdrawal_AppendsAnEventAndLeavesEarlierRowsUnchanged(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);
        var subject = await node.AddSubjectAsync(Cancel);
        await node.WithLedgerAsync(l => l.RecordAsync(subject, Analytics, true, ConsentMethod.Web, Evidence, $"subject:{subject}", Cancel));
        var before = await RowsAsync(store);

        await node.WithLedgerAsync(l => l.RecordAsync(subject, Analytics, false, ConsentMethod.Web, Evidence, $"subject:{subject}", Cancel));
        var after = await RowsAsync(store);

        Assert.Single(before);
        Assert.Equal(2, after.Count);
        Assert.Equal(before[0], after[0]);
        Assert.NotEqual(before[0], after[1]);
        Assert.Equal([true, false], (await node.WithLedgerAsync(l => l.GetHistoryAsync(subject, Cancel))).Select(e => e.Granted));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite, "essential.service")]
    [InlineData(DatabaseProvider.Postgres, "essential.service")]
    [InlineData(DatabaseProvider.Sqlite, "essential.service.operations.backup")]
    [InlineData(DatabaseProvider.Postgres, "essential.service.operations.backup")]
    [InlineData(DatabaseProvider.Sqlite, "marketing.advertising.third_party")]
    [InlineData(DatabaseProvider.Postgres, "marketing.advertising.third_party")]
    [Trait("Clause", "S4.9")]
    public async Task Record_NecessaryOrUndeclaredPurpose_IsRefusedAndTheStoreIsUnchanged(DatabaseProvider provider, string purpose)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);
        var subject = await node.AddSubjectAsync(Cancel);
        var policy = node.Services.GetRequiredService<CompiledPolicy>();

        var granted = await node.WithLedgerAsync(l => l.RecordAsync(subject, purpose, true, ConsentMethod.Web, Evidence, $"subject:{subject}", Cancel));
        var withdrawn = await node.WithLedgerAsync(l => l.RecordAsync(subject, purpose, false, ConsentMethod.Web, Evidence, $"subject:{subject}", Cancel));

        var expected = policy.Purpose(purpose) == PurposeId.Undeclared ? ConsentRefusal.UndeclaredPurpose : ConsentRefusal.NotOptional;
        Assert.Equal((expected, null), (granted.Refusal, granted.Receipt));
        Assert.Equal((expected, null), (withdrawn.Refusal, withdrawn.Receipt));
        await AssertStoreEmptyAsync(store);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Record_UnknownSubject_IsRefusedAndTheStoreIsUnchanged(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);
        var stranger = Guid.NewGuid();

        var change = await node.WithLedgerAsync(l => l.RecordAsync(stranger, Analytics, true, ConsentMethod.Api, Evidence, "system", Cancel));
        var state = await node.WithLedgerAsync(l => l.GetStateAsync(stranger, Cancel).AsTask());

        Assert.Equal(ConsentRefusal.UnknownSubject, change.Refusal);
        Assert.Equal(RegionId.Undeclared, state.Region);
        await AssertStoreEmptyAsync(store);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Record_WithEvidence_StoresAKeyedHashAndNeitherTheIpAddressNorTheUserAgent(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);
        var subject = await node.AddSubjectAsync(Cancel);

        await node.WithLedgerAsync(l => l.RecordAsync(subject, Analytics, true, ConsentMethod.Web, Evidence, $"subject:{subject}", Cancel));
        var rows = await RowsAsync(store);
        await using var db = store.NewDataContext();
        var stored = await db.Set<ConsentEvent>().SingleAsync(Cancel);
        var audit = string.Join('\n', (await db.Set<AuditEntry>().ToListAsync(Cancel)).Select(e => $"{e.Actor}|{e.Action}|{e.Field}|{e.Purpose}|{e.Detail}"));

        Assert.Equal(32, stored.EvidenceHash?.Length);
        Assert.Equal(node.Services.GetRequiredService<EvidenceHasher>().Hash(Evidence), stored.EvidenceHash);
        foreach (var raw in new[] { Evidence.IpAddress!, Evidence.UserAgent!, "KonzenTest" })
        {
            Assert.DoesNotContain(raw, rows[0], StringComparison.Ordinal);
            Assert.DoesNotContain(raw, audit, StringComparison.Ordinal);
            Assert.DoesNotContain(raw, ReceiptTests.PayloadOf(stored.Receipt), StringComparison.Ordinal);
        }
    }

    /// <summary>Every column of every consent event as text, read with plain SQL as the store holds it.</summary>
    private static async Task<List<string>> RowsAsync(TestStore store)
    {
        await using var db = store.NewDataContext();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(Cancel);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM consent_events ORDER BY \"Id\"";
        await using var reader = await command.ExecuteReaderAsync(Cancel);
        var rows = new List<string>();
        while (await reader.ReadAsync(Cancel))
        {
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            rows.Add("|" + string.Join('|', values.Select(v => v is byte[] bytes ? Convert.ToHexString(bytes) : Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture))) + "|");
        }

        return rows;
    }

    private static async Task AssertStoreEmptyAsync(TestStore store)
    {
        await using var db = store.NewDataContext();
        Assert.Equal(0, await db.Set<ConsentEvent>().CountAsync(Cancel));
        Assert.Equal(0, await db.Set<AuditEntry>().CountAsync(Cancel));
    }
}
