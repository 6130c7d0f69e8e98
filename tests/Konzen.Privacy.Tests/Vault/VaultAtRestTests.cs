using System.Runtime.Versioning;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Vault;

// Key files are protected by Unix file modes; the service runs on Linux.
[UnsupportedOSPlatform("windows")]
public sealed class VaultAtRestTests
{
    private const string Email = PersonalDataVault.EmailField;
    private const string Phone = PersonalDataVault.PhoneField;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.1")]
    [Trait("Clause", "S3.2")]
    public async Task Stores_AfterWritingContacts_HoldNoPlaintextEmailOrPhone(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        if (provider == DatabaseProvider.Sqlite)
        {
            await EnableWriteAheadLogAsync(store);
        }

        await using var bed = new VaultBed(store);
        (string Email, string Phone)[] people =
        [
            ("Zhang.Min@Example.CN", "+8613912345678"),
            ("chen_jing@mail.example.com", "+8618600001111"),
            ("o'brien+konzen@example.org", "+447700900123"),
        ];
        foreach (var (email, phone) in people)
        {
            var subject = await bed.NewSubjectAsync();
            await bed.WriteAsync(subject, Email, email);
            await bed.WriteAsync(subject, Phone, phone);
            Assert.Equal(email, (await bed.ReadAsync(subject, Email)).Value);
        }

        // A control: text stored in the clear on purpose must be found, or the scan proves nothing.
        const string Control = "control-marker-5f1c";
        await using (var db = store.NewDataContext())
        {
            var subject = VaultServices.NewSubject();
            subject.AcceptedPolicyHash = Control;
            db.Subjects.Add(subject);
            await db.SaveChangesAsync(Ct);
        }

        var everything = await StoreScan.ReadAllAsync(store);

        Assert.True(StoreScan.Contains(everything, System.Text.Encoding.UTF8.GetBytes(Control)), "the scan does not see the stores' rows");
        if (provider == DatabaseProvider.Sqlite)
        {
            Assert.Contains(Directory.GetFiles(store.Folder!), f => f.EndsWith("privacy.db-wal", StringComparison.Ordinal));
            Assert.Contains(Directory.GetFiles(store.Folder!), f => f.EndsWith("keys.db-wal", StringComparison.Ordinal));
        }

        foreach (var (email, phone) in people)
        {
            foreach (var value in new[] { email, phone, email.Split('@')[0] })
            {
                foreach (var (form, bytes) in StoreScan.FormsOf(value))
                {
                    Assert.False(StoreScan.Contains(everything, bytes), $"a stored contact was found in the clear ({form})");
                }
            }
        }
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.1")]
    public async Task KeyFiles_OnFirstStart_AreCreatedOwnerOnlyAndNeverStored(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var bed = new VaultBed(store);
        var subject = await bed.NewSubjectAsync();
        await bed.WriteAsync(subject, Email, "li.wei@example.cn");
        await bed.WriteAsync(subject, Phone, "+8613800138000");

        var masterFile = Path.Combine(bed.Folder, "master.key");
        var indexFile = Path.Combine(bed.Folder, "index.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(masterFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(indexFile));
        var master = Convert.FromBase64String(File.ReadAllText(masterFile).Trim());
        var index = Convert.FromBase64String(File.ReadAllText(indexFile).Trim());
        Assert.Equal(32, master.Length);
        Assert.Equal(32, index.Length);
        Assert.NotEqual(master, index);
        var everything = await StoreScan.ReadAllAsync(store);
        foreach (var (form, bytes) in StoreScan.FormsOfKey(master).Concat(StoreScan.FormsOfKey(index)))
        {
            Assert.False(StoreScan.Contains(everything, bytes), $"a key was found in a store ({form})");
        }
    }

    [Fact]
    public async Task KeyFile_ReadableByOthers_IsRefused()
    {
        await using var store = await TestStore.CreateAsync(DatabaseProvider.Sqlite, Ct);
        await using var bed = new VaultBed(store);
        var masterFile = Path.Combine(bed.Folder, "master.key");
        _ = bed.Services.Root.GetRequiredService<MasterKeyRing>();
        var before = File.ReadAllText(masterFile);
        File.SetUnixFileMode(masterFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var error = Assert.Throws<VaultKeyException>(() => bed.Restart().Root.GetRequiredService<MasterKeyRing>());

        Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(before.Trim(), error.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(masterFile));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task MasterKey_FromEnvironment_IsUsedAndNoKeyFileIsWritten(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await using var bed = new VaultBed(store, new Dictionary<string, string?> { [VaultOptions.MasterKeyVariable] = key });
        var subject = await bed.NewSubjectAsync();

        await bed.WriteAsync(subject, Email, "li.wei@example.cn");

        Assert.False(File.Exists(Path.Combine(bed.Folder, "master.key")));
        Assert.Equal("li.wei@example.cn", (await VaultBed.ReadAsync(bed.Restart(), subject, Email, VaultBed.Authentication, bed.Adult)).Value);
        await using var keys = store.NewKeyContext();
        var stored = await keys.SubjectKeys.AsNoTracking().SingleAsync(Ct);
        Assert.Equal(MasterKeyRing.IdOf(Convert.FromBase64String(key)), stored.MasterKeyId);
    }

    private static async Task EnableWriteAheadLogAsync(TestStore store)
    {
        // As the service's start-up does, so that the scan also covers what sits in the -wal files.
        await using var db = store.NewDataContext();
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", Ct);
        await using var keys = store.NewKeyContext();
        await keys.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", Ct);
    }
}
