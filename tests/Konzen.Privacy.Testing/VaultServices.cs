using Konzen.Privacy.Subjects;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Konzen.Privacy.Testing;

/// <summary>
/// The library's real services, as <c>AddKonzenPrivacy()</c> registers them, over a <see cref="TestStore"/>,
/// with key files in a folder of their own and a <see cref="FakeTimeProvider"/>. Build a second one
/// over the same store and folder to see what a freshly started process sees (no cached keys).
/// <c>configure</c> adds what a test needs on top (a log capture, a service of its own).
/// </summary>
public sealed class VaultServices : IAsyncDisposable
{
    private readonly ServiceProvider services;

    public VaultServices(
        TestStore store, string keyFolder, FakeTimeProvider? time = null, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        KeyFolder = keyFolder;
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Storage:Database"] = store.DatabaseConnectionString,
                ["Storage:KeyStore"] = store.KeyStoreConnectionString,
                ["Storage:DataDirectory"] = keyFolder,
            })
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();
        var collection = new ServiceCollection();
        collection.AddSingleton<IConfiguration>(configuration);
        collection.AddKonzenPrivacy();
        collection.AddSingleton<TimeProvider>(Time);
        configure?.Invoke(collection);
        services = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }

    public string KeyFolder { get; }

    public FakeTimeProvider Time { get; }

    public IServiceProvider Root => services;

    public AsyncServiceScope CreateScope() => services.CreateAsyncScope();

    /// <summary>Adds and saves a subject with no personal data yet.</summary>
    public static Subject NewSubject() => new()
    {
        Id = Guid.NewGuid(),
        Region = "CN",
        CreatedAt = new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero),
        AcceptedPolicyHash = new string('a', 64),
    };

    public ValueTask DisposeAsync() => services.DisposeAsync();
}
