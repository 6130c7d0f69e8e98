using System.Runtime.Versioning;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Vault;

// Key files are protected by Unix file modes; the service runs on Linux.
[UnsupportedOSPlatform("windows")]
public sealed class KeyRotationTests
{
    private const string Email = PersonalDataVault.EmailField;
    private const string Phone = PersonalDataVault.PhoneField;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.1")]
    public async Task Rotate_WithSubjects_RewrapsEveryKeyAndLeavesTheDataStoreAsItWas(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var bed = new VaultBed(store);
        var written = await WriteSubjectsAsync(bed, 3);
        var oldId = bed.Services.Root.GetRequiredService<MasterKeyRing>().CurrentId;
        var masterFile = Path.Combine(bed.Folder, "master.key");
        var oldMaster = File.ReadAllText(masterFile);
        var fields = await bed.PersonalFieldsAsync();
        var indexes = await IndexesAsync(store);

        KeyRotation rotation;
        await using (var scope = bed.Services.CreateScope())
        {
            rotation = await scope.ServiceProvider.GetRequiredService<SubjectKeys>()
                .RotateMasterKeyAsync(scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), "staff:test", Ct);
        }

        Assert.Equal(3, rotation.Rewrapped);
        Assert.NotEqual(oldId, rotation.MasterKeyId);
        Assert.Equal(rotation.MasterKeyId, bed.Services.Root.GetRequiredService<MasterKeyRing>().CurrentId);
        await using (var keys = store.NewKeyContext())
        {
            Assert.All(await keys.SubjectKeys.AsNoTracking().ToListAsync(Ct), k => Assert.Equal(rotation.MasterKeyId, k.MasterKeyId));
        }

        Assert.Equal(fields, await bed.PersonalFieldsAsync(), FieldComparer.Instance);
        Assert.Equal(indexes, await IndexesAsync(store));
        Assert.NotEqual(oldMaster, File.ReadAllText(masterFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(masterFile));
        Assert.False(File.Exists(masterFile + ".next"));
        await using (var db = store.NewDataContext())
        {
            var last = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Sequence).FirstAsync(Ct);
            Assert.Equal("keys.rotated", last.Action);
            Assert.Equal($"rewrapped 3 subject keys under master key {rotation.MasterKeyId}", last.Detail);
        }

        // A fresh process has only the new master key, and opens every field with it.
        var fresh = bed.Restart();
        Assert.Equal(rotation.MasterKeyId, fresh.Root.GetRequiredService<MasterKeyRing>().CurrentId);
        foreach (var (subject, email, phone) in written)
        {
            Assert.Equal(email, (await VaultBed.ReadAsync(fresh, subject, Email, VaultBed.Authentication, bed.Adult)).Value);
            Assert.Equal(phone, (await VaultBed.ReadAsync(fresh, subject, Phone, VaultBed.Authentication, bed.Adult)).Value);
        }
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Rotate_AfterAnInterruptedRotation_FinishesWithTheSameNewKey(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var bed = new VaultBed(store);
        var written = await WriteSubjectsAsync(bed, 2);
        var (_, pendingId) = bed.Services.Root.GetRequiredService<MasterKeyRing>().BeginRotation();

        // A process started mid-rotation still reads keys wrapped under the old master key.
        var restarted = bed.Restart();
        Assert.Equal(written[0].Email, (await VaultBed.ReadAsync(restarted, written[0].Subject, Email, VaultBed.Authentication, bed.Adult)).Value);
        KeyRotation rotation;
        await using (var scope = restarted.CreateScope())
        {
            rotation = await scope.ServiceProvider.GetRequiredService<SubjectKeys>()
                .RotateMasterKeyAsync(scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), "staff:test", Ct);
        }

        Assert.Equal(pendingId, rotation.MasterKeyId);
        Assert.Equal(2, rotation.Rewrapped);
        Assert.Equal(written[1].Phone, (await VaultBed.ReadAsync(bed.Restart(), written[1].Subject, Phone, VaultBed.Authentication, bed.Adult)).Value);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Rotate_MasterKeyFromEnvironmentWithoutNextKey_IsRefusedAndChangesNothing(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        var current = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await using var bed = new VaultBed(store, new Dictionary<string, string?> { [VaultOptions.MasterKeyVariable] = current });
        await WriteSubjectsAsync(bed, 1);
        await using var keysBefore = store.NewKeyContext();
        var before = await keysBefore.SubjectKeys.AsNoTracking().SingleAsync(Ct);

        await using (var scope = bed.Services.CreateScope())
        {
            var error = await Assert.ThrowsAsync<VaultKeyException>(() => scope.ServiceProvider.GetRequiredService<SubjectKeys>()
                .RotateMasterKeyAsync(scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), "staff:test", Ct));
            Assert.Contains(VaultOptions.NextMasterKeyVariable, error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(current, error.Message, StringComparison.Ordinal);
        }

        await using var keysAfter = store.NewKeyContext();
        var after = await keysAfter.SubjectKeys.AsNoTracking().SingleAsync(Ct);
        Assert.Equal(before.WrappedKey, after.WrappedKey);
        Assert.Equal(before.MasterKeyId, after.MasterKeyId);
        Assert.Empty(Directory.GetFiles(bed.Folder, "master.key*"));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Rotate_MasterKeyFromEnvironmentWithNextKey_RewrapsUnderTheNextKey(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        var current = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var next = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await using var bed = new VaultBed(store, new Dictionary<string, string?>
        {
            [VaultOptions.MasterKeyVariable] = current,
            [VaultOptions.NextMasterKeyVariable] = next,
        });
        var written = await WriteSubjectsAsync(bed, 2);

        KeyRotation rotation;
        await using (var scope = bed.Services.CreateScope())
        {
            rotation = await scope.ServiceProvider.GetRequiredService<SubjectKeys>()
                .RotateMasterKeyAsync(scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), "staff:test", Ct);
        }

        Assert.Equal(MasterKeyRing.IdOf(Convert.FromBase64String(next)), rotation.MasterKeyId);
        await using var swapped = new VaultServices(store, bed.Folder, settings: new Dictionary<string, string?> { [VaultOptions.MasterKeyVariable] = next });
        Assert.Equal(written[0].Email, (await VaultBed.ReadAsync(swapped, written[0].Subject, Email, VaultBed.Authentication, bed.Adult)).Value);
        await using var old = new VaultServices(store, bed.Folder, settings: new Dictionary<string, string?> { [VaultOptions.MasterKeyVariable] = current });
        await Assert.ThrowsAsync<VaultKeyException>(() => VaultBed.ReadAsync(old, written[0].Subject, Email, VaultBed.Authentication, bed.Adult));
    }

    private static async Task<List<(Guid Subject, string Email, string Phone)>> WriteSubjectsAsync(VaultBed bed, int count)
    {
        var written = new List<(Guid, string, string)>();
        for (var i = 0; i < count; i++)
        {
            var subject = await bed.NewSubjectAsync();
            var email = $"person{i}@example.cn";
            var phone = $"+86139000000{i:D2}";
            await bed.WriteAsync(subject, Email, email);
            await bed.WriteAsync(subject, Phone, phone);
            written.Add((subject, email, phone));
        }

        return written;
    }

    private static async Task<List<string>> IndexesAsync(TestStore store)
    {
        await using var db = store.NewDataContext();
        var subjects = await db.Subjects.AsNoTracking().OrderBy(s => s.Id).ToListAsync(Ct);
        return [.. subjects.Select(s => $"{s.Id}:{Convert.ToHexString(s.EmailIndex ?? [])}:{Convert.ToHexString(s.PhoneIndex ?? [])}")];
    }
}
