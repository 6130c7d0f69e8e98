using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Vault;

/// <summary>The vault's real services over one test's stores, with key files in a folder of the test's own.</summary>
internal sealed class VaultBed : IAsyncDisposable
{
    public const string Authentication = "essential.service.authentication";
    public const string Surveys = "functional.service.surveys";
    public const string Actor = "staff:test";

    private readonly List<VaultServices> started = [];

    public VaultBed(TestStore store, IReadOnlyDictionary<string, string?>? settings = null)
    {
        Store = store;
        Folder = Directory.CreateTempSubdirectory("konzen-keys-").FullName;
        Settings = settings;
        Services = Restart();
    }

    public TestStore Store { get; }

    public string Folder { get; }

    public IReadOnlyDictionary<string, string?>? Settings { get; }

    public VaultServices Services { get; }

    public CompiledPolicy Policy => Services.Root.GetRequiredService<CompiledPolicy>();

    /// <summary>A subject of the controller's region with no consents.</summary>
    public SubjectState Adult => Policy.Subject();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>What a newly started process sees: the same stores and key files, nothing cached.</summary>
    public VaultServices Restart()
    {
        var services = new VaultServices(Store, Folder, settings: Settings);
        started.Add(services);
        return services;
    }

    public async Task<Guid> NewSubjectAsync()
    {
        await using var db = Store.NewDataContext();
        var subject = VaultServices.NewSubject();
        db.Subjects.Add(subject);
        await db.SaveChangesAsync(Ct);
        return subject.Id;
    }

    public Task<VaultWrite> WriteAsync(Guid subjectId, string field, string value) => WriteAsync(Services, subjectId, field, value);

    public static async Task<VaultWrite> WriteAsync(VaultServices services, Guid subjectId, string field, string value)
    {
        await using var scope = services.CreateScope();
        var vault = scope.ServiceProvider.GetRequiredService<PersonalDataVault>();
        return await vault.WriteAsync(scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), subjectId, field, value, Actor, Ct);
    }

    public Task<VaultRead> ReadAsync(Guid subjectId, string field, string purpose = Authentication, SubjectState? state = null) =>
        ReadAsync(Services, subjectId, field, purpose, state ?? Adult);

    public static async Task<VaultRead> ReadAsync(VaultServices services, Guid subjectId, string field, string purpose, SubjectState state)
    {
        await using var scope = services.CreateScope();
        var vault = scope.ServiceProvider.GetRequiredService<PersonalDataVault>();
        return await vault.ReadAsync(scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), state, subjectId, field, purpose, Actor, Ct);
    }

    public async Task<List<(Guid SubjectId, string Field, byte[] Ciphertext, DateTimeOffset UpdatedAt)>> PersonalFieldsAsync()
    {
        await using var db = Store.NewDataContext();
        var rows = await db.PersonalFields.AsNoTracking().ToListAsync(Ct);
        return [.. rows.Select(f => (f.SubjectId, f.Field, f.Ciphertext, f.UpdatedAt)).OrderBy(f => f.SubjectId).ThenBy(f => f.Field, StringComparer.Ordinal)];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var services in started)
        {
            await services.DisposeAsync();
        }

        Directory.Delete(Folder, recursive: true);
    }
}
