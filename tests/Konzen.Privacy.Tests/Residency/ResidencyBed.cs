using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Residency;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Testing;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Tests.Residency;

/// <summary>
/// The library's real services over one test's stores, enforcing <see cref="TransferPolicy"/> (regions
/// CN and SG, one declared transfer) unless told otherwise, with key files and the policy file in a
/// folder of the test's own.
/// </summary>
internal sealed class ResidencyBed : IAsyncDisposable
{
    private readonly List<VaultServices> started = [];

    private ResidencyBed(TestStore store)
    {
        Store = store;
        Folder = Directory.CreateTempSubdirectory("konzen-residency-").FullName;
    }

    public TestStore Store { get; }

    public string Folder { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<ResidencyBed> CreateAsync(DatabaseProvider provider) =>
        new(await TestStore.CreateAsync(provider, Ct));

    /// <summary>Services as a process started with these settings sees them; the policy is <see cref="TransferPolicy"/> unless a setting names another.</summary>
    public VaultServices Start(string? risks = null, params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Policy:File"] = TransferPolicy.Write(Directory.CreateDirectory(Path.Combine(Folder, $"policy-{started.Count}")).FullName, risks ?? TransferPolicy.Risks),
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var services = new VaultServices(Store, Folder, settings: all);
        started.Add(services);
        return services;
    }

    /// <summary>Services enforcing the shipped Konzen policy, which declares no transfer.</summary>
    public VaultServices StartWithShippedPolicy()
    {
        var services = new VaultServices(Store, Folder);
        started.Add(services);
        return services;
    }

    /// <summary>Adds a subject homed in <paramref name="region"/> straight to the store, as another deployment might have.</summary>
    public async Task<Guid> SubjectAsync(string region)
    {
        await using var db = Store.NewDataContext();
        var subject = VaultServices.NewSubject();
        subject.Region = region;
        db.Add(subject);
        await db.SaveChangesAsync(Ct);
        return subject.Id;
    }

    /// <summary>Row counts of every table a subject's data goes to, and of the audit log and key store.</summary>
    public async Task<string> CountsAsync()
    {
        await using var db = Store.NewDataContext();
        await using var keys = Store.NewKeyContext();
        return string.Join(", ",
            $"subjects {await db.Set<Subject>().CountAsync(Ct)}",
            $"fields {await db.Set<PersonalField>().CountAsync(Ct)}",
            $"points {await db.Set<LocationPoint>().CountAsync(Ct)}",
            $"events {await db.Set<LogEvent>().CountAsync(Ct)}",
            $"positioning {await db.Set<PositioningState>().CountAsync(Ct)}",
            $"consents {await db.Set<ConsentEvent>().CountAsync(Ct)}",
            $"transfer consents {await db.Set<TransferConsent>().CountAsync(Ct)}",
            $"audit {await db.Set<AuditEntry>().CountAsync(Ct)}",
            $"keys {await keys.SubjectKeys.CountAsync(Ct)}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var services in started)
        {
            await services.DisposeAsync();
        }

        await Store.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}
