using System.Data;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Konzen.Privacy.Tests.Audit;

public sealed class AuditLogTests
{
    // Starts between two microseconds and moves 1.5 ms per reading, so entries carry times that
    // neither store keeps exactly unless the log rounds them.
    private static AuditLog NewLog() => new(new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 7, 0, 0, TimeSpan.Zero).AddTicks(12_345_678))
    {
        AutoAdvanceAmount = TimeSpan.FromTicks(15_005),
    });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task AppendAsync_ChainOfEntries_VerifiesIntactAndStartsAtZeroHash(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await AuditRows.AppendAsync(store, NewLog(), 5, Ct);

        await using var db = store.NewDataContext();
        var entries = await db.Set<AuditEntry>().OrderBy(e => e.Sequence).ToListAsync(Ct);
        var result = await AuditVerifier.VerifyAsync(db, Ct);

        Assert.Equal(new AuditVerification(true, 5, null, null), result);
        Assert.Equal([1L, 2, 3, 4, 5], entries.Select(e => e.Sequence));
        Assert.Equal(new byte[32], entries[0].PreviousHash);
        Assert.All(entries.Skip(1).Zip(entries), pair => Assert.Equal(pair.Second.Hash, pair.First.PreviousHash));
        Assert.All(entries, e => Assert.Equal(AuditChain.HashOf(e), e.Hash));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task AppendAsync_SeveralBeforeOneSave_ChainInOrderWithTheChange(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        var log = NewLog();
        await AuditRows.AppendAsync(store, log, 1, Ct);
        var subjectId = Guid.NewGuid();

        await using (var db = store.NewDataContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync(Ct);
            db.Add(new Subject { Id = subjectId, Region = "CN", CreatedAt = DateTimeOffset.UnixEpoch, AcceptedPolicyHash = "h" });
            var first = await log.AppendAsync(db, new AuditRecord("system", "subject.registered", subjectId), Ct);
            var second = await log.AppendAsync(db, new AuditRecord("system", "consent.given", subjectId, Purpose: "marketing.email"), Ct);
            await db.SaveChangesAsync(Ct);
            await transaction.CommitAsync(Ct);

            Assert.Equal((2L, 3L), (first.Sequence, second.Sequence));
            Assert.Equal(first.Hash, second.PreviousHash);
        }

        await AuditRows.AppendAsync(store, log, 1, Ct);

        await using var check = store.NewDataContext();
        Assert.Equal(new AuditVerification(true, 4, null, null), await AuditVerifier.VerifyAsync(check, Ct));
        Assert.True(await check.Subjects.AnyAsync(s => s.Id == subjectId, Ct));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task AppendAsync_TransactionRolledBack_LeavesNoEntryAndTheChainIntact(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        var log = NewLog();
        await AuditRows.AppendAsync(store, log, 2, Ct);

        await using (var db = store.NewDataContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync(Ct);
            db.Add(new Subject { Id = Guid.NewGuid(), Region = "CN", CreatedAt = DateTimeOffset.UnixEpoch, AcceptedPolicyHash = "h" });
            await log.AppendAsync(db, new AuditRecord("system", "subject.registered"), Ct);
            await db.SaveChangesAsync(Ct);
            await transaction.RollbackAsync(Ct);
        }

        await using (var check = store.NewDataContext())
        {
            Assert.Equal(new AuditVerification(true, 2, null, null), await AuditVerifier.VerifyAsync(check, Ct));
            Assert.Equal(0, await check.Subjects.CountAsync(Ct));
        }

        // The place the rolled-back entry took is free again.
        await AuditRows.AppendAsync(store, log, 1, Ct);
        await using var after = store.NewDataContext();
        Assert.Equal(new AuditVerification(true, 3, null, null), await AuditVerifier.VerifyAsync(after, Ct));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task AppendAsync_ConcurrentWritersOnSeparateContexts_NeitherForkNorLoseEntries(DatabaseProvider provider)
    {
        const int writers = 6;
        const int appendsEach = 8;
        await using var store = await TestStore.CreateAsync(provider, Ct);
        var log = new AuditLog(TimeProvider.System);
        using var start = new SemaphoreSlim(0);

        var tasks = Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
        {
            await using var db = store.NewDataContext();
            await start.WaitAsync(Ct);
            for (var n = 0; n < appendsEach; n++)
            {
                await using var transaction = await db.Database.BeginTransactionAsync(Ct);
                await log.AppendAsync(db, new AuditRecord($"staff:w{writer}", "field.read", Detail: $"{writer}/{n}"), Ct);
                await db.SaveChangesAsync(Ct);
                await transaction.CommitAsync(Ct);
            }
        }, Ct)).ToList();
        start.Release(writers);
        await Task.WhenAll(tasks);

        await using var check = store.NewDataContext();
        var details = await check.Set<AuditEntry>().Select(e => e.Detail).ToListAsync(Ct);
        Assert.Equal(new AuditVerification(true, writers * appendsEach, null, null), await AuditVerifier.VerifyAsync(check, Ct));
        Assert.Equal(
            Enumerable.Range(0, writers).SelectMany(w => Enumerable.Range(0, appendsEach).Select(n => $"{w}/{n}")).Order(),
            details.Order());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task AppendAsync_WithoutTransaction_IsRefusedAndStoresNothing(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var db = store.NewDataContext();

        await Assert.ThrowsAsync<InvalidOperationException>(() => NewLog().AppendAsync(db, AuditRows.Record(1), Ct));
        await db.SaveChangesAsync(Ct);

        Assert.Equal(0, await db.Set<AuditEntry>().CountAsync(Ct));
    }

    public static TheoryData<DatabaseProvider, string> BadRecords => new()
    {
        { DatabaseProvider.Sqlite, "no actor" },
        { DatabaseProvider.Sqlite, "long actor" },
        { DatabaseProvider.Sqlite, "long purpose" },
        { DatabaseProvider.Sqlite, "lone surrogate" },
        { DatabaseProvider.Postgres, "no actor" },
        { DatabaseProvider.Postgres, "long actor" },
        { DatabaseProvider.Postgres, "long purpose" },
        { DatabaseProvider.Postgres, "lone surrogate" },
    };

    [Theory]
    [MemberData(nameof(BadRecords))]
    public async Task AppendAsync_BadRecord_IsRefusedAndTheStoreIsUnchanged(DatabaseProvider provider, string bad)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        var log = NewLog();
        await AuditRows.AppendAsync(store, log, 1, Ct);
        var record = bad switch
        {
            "no actor" => AuditRows.Record(2) with { Actor = " " },
            "long actor" => AuditRows.Record(2) with { Actor = "staff:" + new string('a', 123) },
            "long purpose" => AuditRows.Record(2) with { Purpose = new string('p', 129) },
            _ => AuditRows.Record(2) with { Detail = "\uDC00" },
        };

        await using (var db = store.NewDataContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync(Ct);
            await Assert.ThrowsAnyAsync<ArgumentException>(() => log.AppendAsync(db, record, Ct));
            await db.SaveChangesAsync(Ct);
            await transaction.CommitAsync(Ct);
        }

        await using var check = store.NewDataContext();
        Assert.Equal(new AuditVerification(true, 1, null, null), await AuditVerifier.VerifyAsync(check, Ct));
    }

    [Fact]
    public async Task AppendAsync_PostgresSerializableTransaction_IsRefusedAndStoresNothing()
    {
        await using var store = await TestStore.CreateAsync(DatabaseProvider.Postgres, Ct);
        await using (var db = store.NewDataContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.Serializable, Ct);
            await Assert.ThrowsAsync<InvalidOperationException>(() => NewLog().AppendAsync(db, AuditRows.Record(1), Ct));
            await db.SaveChangesAsync(Ct);
            await transaction.CommitAsync(Ct);
        }

        await using var check = store.NewDataContext();
        Assert.Equal(0, await check.Set<AuditEntry>().CountAsync(Ct));
    }
}
