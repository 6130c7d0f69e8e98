using Konzen.Privacy.Audit;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Tests.Audit;

/// <summary>Tampering behind the application's back, by raw SQL, is found and the entry named.</summary>
public sealed class AuditVerifierTests
{
    private const int Entries = 6;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<TestStore> StoreWithChainAsync(DatabaseProvider provider)
    {
        var store = await TestStore.CreateAsync(provider, Ct);
        await AuditRows.AppendAsync(store, new AuditLog(TimeProvider.System), Entries, Ct);
        return store;
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Verify_EmptyLog_IsIntactWithNoEntries(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var db = store.NewDataContext();

        Assert.Equal(new AuditVerification(true, 0, null, null), await AuditVerifier.VerifyAsync(db, Ct));
    }

    [Theory]
    [Trait("Clause", "S3.1")]
    [InlineData(DatabaseProvider.Sqlite, "Detail")]
    [InlineData(DatabaseProvider.Sqlite, "Actor")]
    [InlineData(DatabaseProvider.Sqlite, "Purpose")]
    [InlineData(DatabaseProvider.Postgres, "Detail")]
    [InlineData(DatabaseProvider.Postgres, "Actor")]
    [InlineData(DatabaseProvider.Postgres, "Purpose")]
    public async Task Verify_TextColumnEdited_NamesThatEntry(DatabaseProvider provider, string column)
    {
        await using var store = await StoreWithChainAsync(provider);
        await using var db = store.NewDataContext();

        Assert.Equal(1, await AuditRows.SetTextAsync(db, 4, column, "ticket 4 (edited)", Ct));

        Assert.Equal(
            new AuditVerification(false, 3, 4, "hash mismatch: its contents do not match its stored hash"),
            await AuditVerifier.VerifyAsync(db, Ct));
    }

    [Theory]
    [Trait("Clause", "S3.1")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Verify_TimeEdited_NamesThatEntry(DatabaseProvider provider)
    {
        await using var store = await StoreWithChainAsync(provider);
        await using var db = store.NewDataContext();

        Assert.Equal(1, await AuditRows.ShiftTimeAsync(db, 2, Ct));

        var result = await AuditVerifier.VerifyAsync(db, Ct);
        Assert.Equal((false, 2L), (result.Intact, result.FirstBrokenSequence));
        Assert.StartsWith("hash mismatch", result.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [Trait("Clause", "S3.1")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Verify_MiddleEntryDeleted_NamesTheGap(DatabaseProvider provider)
    {
        await using var store = await StoreWithChainAsync(provider);
        await using var db = store.NewDataContext();

        Assert.Equal(1, await AuditRows.DeleteAsync(db, 3, Ct));

        Assert.Equal(
            new AuditVerification(false, 2, 3, "entry 3 is missing (the next entry is 4)"),
            await AuditVerifier.VerifyAsync(db, Ct));
    }

    [Theory]
    [Trait("Clause", "S3.1")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Verify_HashChanged_NamesThatEntry(DatabaseProvider provider)
    {
        await using var store = await StoreWithChainAsync(provider);
        await using var db = store.NewDataContext();

        Assert.Equal(1, await AuditRows.SetHashAsync(db, 5, new byte[32], Ct));

        var result = await AuditVerifier.VerifyAsync(db, Ct);
        Assert.Equal((false, 4L, 5L), (result.Intact, result.EntriesChecked, result.FirstBrokenSequence));
        Assert.StartsWith("hash mismatch", result.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [Trait("Clause", "S3.1")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Verify_EntryEditedAndRehashed_NamesTheNextEntryAsUnlinked(DatabaseProvider provider)
    {
        // An intruder who knows the format recomputes the edited entry's hash; the next entry's link gives it away.
        await using var store = await StoreWithChainAsync(provider);
        await using var db = store.NewDataContext();
        var entry = await db.Set<AuditEntry>().AsNoTracking().SingleAsync(e => e.Sequence == 2, Ct);
        entry.Detail = "nothing to see";
        await AuditRows.SetTextAsync(db, 2, "Detail", entry.Detail, Ct);
        await AuditRows.SetHashAsync(db, 2, AuditChain.HashOf(entry), Ct);

        Assert.Equal(
            new AuditVerification(false, 2, 3, "broken link: its previous hash is not the hash of entry 2"),
            await AuditVerifier.VerifyAsync(db, Ct));
    }

    [Fact]
    public async Task Verify_FirstEntryNotLinkedToZeroHash_NamesEntryOne()
    {
        var forged = new AuditEntry { Sequence = 1, Actor = "system", Action = "x", PreviousHash = [.. new byte[31], 1] };
        forged.Hash = AuditChain.HashOf(forged);

        var result = await AuditVerifier.VerifyAsync(new[] { forged }.ToAsyncEnumerable(), Ct);

        Assert.Equal(new AuditVerification(false, 0, 1, "broken link: entry 1's previous hash is not 32 zero bytes"), result);
    }
}
