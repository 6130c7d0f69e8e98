using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Tests.Storage;

public sealed class StoreTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Migrate_FreshStores_CreatesDataAndKeyTablesInSeparateDatabases(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, TestContext.Current.CancellationToken);
        await using var db = store.NewDataContext();
        await using var keys = store.NewKeyContext();

        Assert.Empty(await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));
        Assert.Empty(await keys.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));
        Assert.NotEqual(db.Database.GetConnectionString(), keys.Database.GetConnectionString());
        Assert.Equal(0, await db.Subjects.CountAsync(TestContext.Current.CancellationToken));
        Assert.Equal(0, await keys.SubjectKeys.CountAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Subject_DuplicateEmailIndex_IsRefusedByTheStore(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, TestContext.Current.CancellationToken);
        await using var db = store.NewDataContext();
        var index = new byte[32];
        index[0] = 7;
        db.Subjects.Add(new Subject { Id = Guid.NewGuid(), Region = "CN", CreatedAt = DateTimeOffset.UnixEpoch, AcceptedPolicyHash = "h", EmailIndex = index });
        db.Subjects.Add(new Subject { Id = Guid.NewGuid(), Region = "CN", CreatedAt = DateTimeOffset.UnixEpoch, AcceptedPolicyHash = "h", EmailIndex = [.. index] });

        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync(TestContext.Current.CancellationToken));
    }
}
