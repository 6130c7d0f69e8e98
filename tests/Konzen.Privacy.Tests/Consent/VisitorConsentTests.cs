using System.Threading.Channels;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Consent;

/// <summary>Anonymous visitors in the consent ledger: their banner choices kept, decided and audited like a subject's.</summary>
public sealed class VisitorConsentTests
{
    private const string Analytics = "analytics.reporting";
    private const string Advertising = "marketing.advertising.profiling";
    private static readonly ConsentEvidence Evidence = new("198.51.100.23", "Mozilla/5.0 (KonzenVisitor)");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.6")]
    public async Task RecordVisitorChoice_FirstChoice_CreatesTheVisitorAndRecordsEveryOptionalPurpose(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);
        var policy = node.Services.GetRequiredService<CompiledPolicy>();
        var optional = policy.Purposes.Where(p => p.Optional).Select(p => p.Key).ToList();

        var choice = await node.WithLedgerAsync(l => l.RecordVisitorChoiceAsync(null, Choices((Analytics, true), ("personalize", false)), ConsentSet.None, Evidence, Cancel));
        var state = await node.WithLedgerAsync(l => l.GetStateAsync(choice.VisitorId, Cancel).AsTask());

        await using var db = store.NewDataContext();
        var visitor = await db.Set<Visitor>().SingleAsync(Cancel);
        var events = await db.Set<ConsentEvent>().OrderBy(e => e.Id).ToListAsync(Cancel);
        var audit = await db.Set<AuditEntry>().OrderBy(e => e.Sequence).ToListAsync(Cancel);
        Assert.True(choice.Recorded);
        Assert.Equal(choice.VisitorId, visitor.Id);
        Assert.Equal("CN", visitor.Region);
        Assert.Equal(optional, events.Select(e => e.PurposeKey));
        Assert.All(events, e => Assert.Equal((visitor.Id, e.PurposeKey == Analytics, ConsentMethod.Web), (e.SubjectId, e.Granted, e.Method)));
        Assert.Equal(optional.Count, choice.Receipts.Count);
        Assert.Equal(events.Select(e => e.ReceiptId), choice.Receipts.Select(r => r.ReceiptId));
        Assert.Equal(optional.Count, audit.Count);
        Assert.All(audit, e => Assert.Equal(($"visitor:{visitor.Id:N}", visitor.Id), (e.Actor, e.SubjectId!.Value)));
        Assert.Equal(policy.Subject(ConsentSet.None.With(policy.Purpose(Analytics))), state);
        Assert.True(await node.WithLedgerAsync(l => l.IsVisitorAsync(visitor.Id, Cancel)));
        Assert.True((await AuditVerify(store)).Intact);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.6")]
    public async Task RecordVisitorChoice_LaterChoice_RecordsOnlyTheChangesAndTheNextDecisionFollows(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);
        var policy = node.Services.GetRequiredService<CompiledPolicy>();
        var analytics = policy.Purpose(Analytics);
        var clicks = policy.Category("user.behavior.clicks");
        var first = await node.WithLedgerAsync(l => l.RecordVisitorChoiceAsync(null, Choices((Analytics, true), (Advertising, true)), ConsentSet.None, Evidence, Cancel));
        var allowed = await node.WithLedgerAsync(l => l.DecideAsync(first.VisitorId, clicks, analytics, Cancel).AsTask());
        var cached = node.Cache.TryGet(first.VisitorId, out _);

        var again = await node.WithLedgerAsync(l => l.RecordVisitorChoiceAsync(first.VisitorId, Choices((Analytics, true), (Advertising, true)), ConsentSet.None, Evidence, Cancel));
        var later = await node.WithLedgerAsync(l => l.RecordVisitorChoiceAsync(first.VisitorId, Choices((Advertising, true)), ConsentSet.None, Evidence, Cancel));
        var denied = await node.WithLedgerAsync(l => l.DecideAsync(first.VisitorId, clicks, analytics, Cancel).AsTask());

        await using var db = store.NewDataContext();
        var newest = await db.Set<ConsentEvent>().OrderByDescending(e => e.Id).FirstAsync(Cancel);
        Assert.Equal((true, DecisionReason.Consented), (allowed.Allowed, allowed.Reason));
        Assert.True(cached, "the state should have been cached, so the change had a cache to clear");
        Assert.Equal((first.VisitorId, 0), (again.VisitorId, again.Receipts.Count));
        Assert.Equal((first.VisitorId, 1), (later.VisitorId, later.Receipts.Count));
        Assert.Equal((Analytics, false), (newest.PurposeKey, newest.Granted));
        Assert.Equal((false, DecisionReason.NotConsented), (denied.Allowed, denied.Reason));
        Assert.Equal(1, await db.Set<Visitor>().CountAsync(Cancel));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.6")]
    public async Task RecordVisitorChoice_WithTheGpcSignal_RecordsItsPurposesRefusedWhateverTheChoiceSays(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);
        var policy = node.Services.GetRequiredService<CompiledPolicy>();
        var gpc = node.Services.GetRequiredService<GlobalPrivacyControl>();
        var everything = Choices([.. policy.Purposes.Where(p => p.Optional).Select(p => (p.Key, true))]);

        var choice = await node.WithLedgerAsync(l => l.RecordVisitorChoiceAsync(null, everything, gpc.Refused, Evidence, Cancel));
        var state = await node.WithLedgerAsync(l => l.GetStateAsync(choice.VisitorId, Cancel).AsTask());

        await using var db = store.NewDataContext();
        var refused = await db.Set<ConsentEvent>().Where(e => !e.Granted).Select(e => e.PurposeKey).ToListAsync(Cancel);
        Assert.Contains(Advertising, gpc.RefusedKeys);
        Assert.Equal(gpc.RefusedKeys.Order(StringComparer.Ordinal), refused.Order(StringComparer.Ordinal));
        Assert.False(state.Consents.Contains(policy.Purpose(Advertising)));
        Assert.True(state.Consents.Contains(policy.Purpose(Analytics)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite, "no.such.purpose", ConsentRefusal.UndeclaredPurpose)]
    [InlineData(DatabaseProvider.Postgres, "no.such.purpose", ConsentRefusal.UndeclaredPurpose)]
    [InlineData(DatabaseProvider.Sqlite, "essential.service.security", ConsentRefusal.NotOptional)]
    [InlineData(DatabaseProvider.Postgres, "essential.service.security", ConsentRefusal.NotOptional)]
    [Trait("Clause", "S4.9")]
    public async Task RecordVisitorChoice_WithAPurposeThatCannotBeChosen_IsRefusedAndTheStoreIsUnchanged(DatabaseProvider provider, string purpose, ConsentRefusal expected)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);

        var choice = await node.WithLedgerAsync(l => l.RecordVisitorChoiceAsync(null, Choices((Analytics, true), (purpose, true)), ConsentSet.None, Evidence, Cancel));

        await using var db = store.NewDataContext();
        Assert.Equal((expected, purpose, Guid.Empty), (choice.Refusal, choice.Purpose, choice.VisitorId));
        Assert.Equal(0, await db.Set<Visitor>().CountAsync(Cancel));
        Assert.Equal(0, await db.Set<ConsentEvent>().CountAsync(Cancel));
        Assert.Equal(0, await db.Set<AuditEntry>().CountAsync(Cancel));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task RecordVisitorChoice_WithAnIdTheStoreDoesNotKnow_CreatesAVisitorOfItsOwn(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);
        var forged = Guid.NewGuid();

        var choice = await node.WithLedgerAsync(l => l.RecordVisitorChoiceAsync(forged, Choices(), ConsentSet.None, Evidence, Cancel));

        await using var db = store.NewDataContext();
        Assert.NotEqual(forged, choice.VisitorId);
        Assert.Equal(choice.VisitorId, (await db.Set<Visitor>().SingleAsync(Cancel)).Id);
        Assert.False(await db.Set<ConsentEvent>().AnyAsync(e => e.SubjectId == forged, Cancel));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Record_ForAVisitorId_IsTakenLikeASubjectsAndAnUnknownIdIsNot(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        await using var node = await ConsentNode.StartAsync(store, Cancel);
        var policy = node.Services.GetRequiredService<CompiledPolicy>();
        var visitor = (await node.WithLedgerAsync(l => l.RecordVisitorChoiceAsync(null, Choices(), ConsentSet.None, Evidence, Cancel))).VisitorId;

        var granted = await node.WithLedgerAsync(l => l.RecordAsync(visitor, Advertising, true, ConsentMethod.Web, Evidence, $"visitor:{visitor:N}", Cancel));
        var stranger = await node.WithLedgerAsync(l => l.RecordAsync(Guid.NewGuid(), Advertising, true, ConsentMethod.Web, Evidence, "system", Cancel));
        var history = await node.WithLedgerAsync(l => l.GetHistoryAsync(visitor, Cancel));
        var state = await node.WithLedgerAsync(l => l.GetStateAsync(visitor, Cancel).AsTask());

        Assert.True(granted.Recorded);
        Assert.Equal(ConsentRefusal.UnknownSubject, stranger.Refusal);
        Assert.Equal(granted.Receipt!.ReceiptId, history[^1].ReceiptId);
        Assert.Contains(visitor.ToString(), ReceiptTests.PayloadOf(granted.Receipt.Jws), StringComparison.Ordinal);
        Assert.Equal(policy.Subject(ConsentSet.None.With(policy.Purpose(Advertising))), state);
    }

    /// <summary>Two nodes on one PostgreSQL: a visitor's withdrawal on A evicts the visitor from B's cache.</summary>
    [Fact]
    [Trait("Clause", "S1.6")]
    public async Task RecordVisitorChoice_WithdrawalOnNodeA_NodeBDeniesAtOnce()
    {
        await using var store = await TestStore.CreateAsync(DatabaseProvider.Postgres, Cancel);
        await using var a = await ConsentNode.StartAsync(store, Cancel);
        await using var b = await ConsentNode.StartAsync(store, Cancel);
        var policy = b.Services.GetRequiredService<CompiledPolicy>();
        var advertising = policy.Purpose(Advertising);
        var clicks = policy.Category("user.behavior.clicks");
        var evictedOnB = Channel.CreateUnbounded<Guid>();
        b.Cache.Evicted += id => evictedOnB.Writer.TryWrite(id);
        var visitor = (await a.WithLedgerAsync(l => l.RecordVisitorChoiceAsync(null, Choices((Advertising, true)), ConsentSet.None, Evidence, Cancel))).VisitorId;

        // B hears of A's first choice too; wait for it, or that eviction could land after B's read and empty the cache.
        await SeenAsync(evictedOnB.Reader, visitor);
        var before = await b.WithLedgerAsync(l => l.DecideAsync(visitor, clicks, advertising, Cancel).AsTask());
        Assert.True(b.Cache.TryGet(visitor, out _), "node B should hold the grant in its cache before the withdrawal");

        await a.WithLedgerAsync(l => l.RecordVisitorChoiceAsync(visitor, Choices((Analytics, true)), ConsentSet.None, Evidence, Cancel));
        await SeenAsync(evictedOnB.Reader, visitor);
        var after = await b.WithLedgerAsync(l => l.DecideAsync(visitor, clicks, advertising, Cancel).AsTask());

        Assert.Equal((true, DecisionReason.Consented), (before.Allowed, before.Reason));
        Assert.Equal((false, DecisionReason.NotConsented), (after.Allowed, after.Reason));
    }

    private static Dictionary<string, bool> Choices(params (string Purpose, bool Granted)[] choices) =>
        choices.ToDictionary(c => c.Purpose, c => c.Granted, StringComparer.Ordinal);

    private static async Task<AuditVerification> AuditVerify(TestStore store)
    {
        await using var db = store.NewDataContext();
        return await AuditVerifier.VerifyAsync(db, Cancel);
    }

    /// <summary>Waits (at most 5 seconds) until the node's listener has evicted <paramref name="id"/>.</summary>
    private static async Task SeenAsync(ChannelReader<Guid> evictions, Guid id)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        deadline.CancelAfter(TimeSpan.FromSeconds(5));
        while (await evictions.ReadAsync(deadline.Token) != id)
        {
        }
    }
}
