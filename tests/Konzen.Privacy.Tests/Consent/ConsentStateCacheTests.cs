using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Tests.Consent;

/// <summary>The cache never hands out a state older than the last change it was told about.</summary>
public sealed class ConsentStateCacheTests
{
    private static readonly CompiledPolicy Policy = CompiledPolicy.Compile(PolicyLoader.LoadDefault());
    private static readonly CachedState Granted = new(Policy.Subject(ConsentSet.None.With(Policy.Purpose("analytics.reporting"))), Events: 1, Policy.Version.ContentHash);

    [Fact]
    public void Store_ReadThatStartedBeforeAnEviction_IsNotCached()
    {
        var cache = Cache("Data Source=privacy.db");
        var subject = Guid.NewGuid();

        // A read begins, a withdrawal elsewhere commits and its notification evicts, then the read ends.
        var loadedAt = cache.Generation;
        cache.Evict(subject);
        cache.Store(subject, Granted, loadedAt);

        Assert.False(cache.TryGet(subject, out _));
    }

    [Fact]
    public void Store_ReadWithNoEvictionMeanwhile_IsCachedUntilEvicted()
    {
        var cache = Cache("Data Source=privacy.db");
        var subject = Guid.NewGuid();

        cache.Store(subject, Granted, cache.Generation);
        var cached = cache.TryGet(subject, out var state);
        cache.Evict(subject);

        Assert.True(cached);
        Assert.Equal(Granted, state);
        Assert.False(cache.TryGet(subject, out _));
    }

    [Fact]
    public void Store_OnPostgresBeforeTheListenerConnects_IsNotCached()
    {
        var cache = Cache("Host=127.0.0.1;Database=konzen");
        var subject = Guid.NewGuid();

        cache.Store(subject, Granted, cache.Generation);
        var beforeConnect = cache.TryGet(subject, out _);
        cache.Connected();
        cache.Store(subject, Granted, cache.Generation);
        var connected = cache.TryGet(subject, out _);
        cache.Disconnected();

        Assert.False(beforeConnect);
        Assert.True(connected);
        Assert.False(cache.TryGet(subject, out _));
        Assert.False(cache.Enabled);
    }

    private static ConsentStateCache Cache(string database) =>
        new(Options.Create(new ConsentOptions()), Options.Create(new StorageOptions { Database = database, KeyStore = "Data Source=keys.db" }));
}
