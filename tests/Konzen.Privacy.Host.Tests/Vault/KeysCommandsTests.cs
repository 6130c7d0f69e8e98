using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Host.Tests.Vault;

public sealed partial class KeysCommandsTests : IDisposable
{
    private const string Email = PersonalDataVault.EmailField;

    private readonly TempFolder folder = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.1")]
    public async Task Rotate_WithSubjects_ExitsZeroAndEveryFieldStillOpens(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        var subjects = new List<Guid>();
        string oldId;
        await using (var services = new VaultServices(store, folder.Path))
        {
            oldId = services.Root.GetRequiredService<MasterKeyRing>().CurrentId;
            for (var i = 0; i < 2; i++)
            {
                subjects.Add(await WriteEmailAsync(store, services, $"person{i}@example.cn"));
            }
        }

        var before = await CiphertextsAsync(store);

        var (exit, output, error) = await Cli.RunAsync(
            "keys", "rotate", "--database", store.DatabaseConnectionString,
            $"--Storage:KeyStore={store.KeyStoreConnectionString}", $"--Storage:DataDirectory={folder.Path}");

        Assert.Equal(0, exit);
        Assert.Empty(error);
        var summary = Summary().Match(output);
        Assert.True(summary.Success, output);
        var newId = summary.Groups["id"].Value;
        Assert.NotEqual(oldId, newId);
        Assert.Equal(before, await CiphertextsAsync(store));
        await using (var keys = store.NewKeyContext())
        {
            Assert.All(await keys.SubjectKeys.AsNoTracking().ToListAsync(Ct), k => Assert.Equal(newId, k.MasterKeyId));
        }

        await using var after = new VaultServices(store, folder.Path);
        Assert.Equal(newId, after.Root.GetRequiredService<MasterKeyRing>().CurrentId);
        var policy = after.Root.GetRequiredService<Privacy.Policy.CompiledPolicy>();
        for (var i = 0; i < subjects.Count; i++)
        {
            await using var scope = after.CreateScope();
            var read = await scope.ServiceProvider.GetRequiredService<PersonalDataVault>().ReadAsync(
                scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), policy.Subject(), subjects[i], Email,
                "essential.service.authentication", "staff:test", Ct);
            Assert.Equal($"person{i}@example.cn", read.Value);
        }

        await using var db = store.NewDataContext();
        var rotated = await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "keys.rotated", Ct);
        Assert.Equal($"rewrapped 2 subject keys under master key {newId}", rotated.Detail);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Rotate_MasterKeyFileWithoutAKey_ExitsOneWithTheReason()
    {
        await using var store = await TestStore.CreateAsync(DatabaseProvider.Sqlite, Ct);
        var keyFile = folder.Write("master.key", "not a key\n");
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var (exit, output, error) = await Cli.RunAsync(
            "keys", "rotate", "--database", store.DatabaseConnectionString, "--master-key-file", keyFile,
            $"--Storage:KeyStore={store.KeyStoreConnectionString}", $"--Storage:DataDirectory={folder.Path}");

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.StartsWith("konzen: keys rotate: The master key file '", error, StringComparison.Ordinal);
        Assert.Contains("does not hold a key", error, StringComparison.Ordinal);
        Assert.Equal("not a key\n", File.ReadAllText(keyFile));
        Assert.False(File.Exists(keyFile + ".next"));
    }

    [GeneratedRegex(@"^rewrapped 2 subject keys under master key (?<id>mk-[0-9a-f]{16})\n$")]
    private static partial Regex Summary();

    private static async Task<Guid> WriteEmailAsync(TestStore store, VaultServices services, string email)
    {
        var subject = VaultServices.NewSubject();
        await using (var db = store.NewDataContext())
        {
            db.Subjects.Add(subject);
            await db.SaveChangesAsync(Ct);
        }

        await using var scope = services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<PersonalDataVault>().WriteAsync(
            scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), subject.Id, Email, email, "staff:test", Ct);
        return subject.Id;
    }

    private static async Task<List<string>> CiphertextsAsync(TestStore store)
    {
        await using var db = store.NewDataContext();
        var rows = await db.PersonalFields.AsNoTracking().ToListAsync(Ct);
        return [.. rows.Select(f => $"{f.SubjectId}/{f.Field}/{Convert.ToHexString(f.Ciphertext)}/{f.UpdatedAt.UtcTicks}").Order(StringComparer.Ordinal)];
    }
}
