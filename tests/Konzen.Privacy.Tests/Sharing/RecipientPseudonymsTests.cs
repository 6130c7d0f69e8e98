using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Sharing;

public sealed class RecipientPseudonymsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.2")]
    public async Task PseudonymAsync_PerRecipient_StableWithinAndUnrelatedAcross(DatabaseProvider provider)
    {
        await using var bed = await DatasetBed.StartAsync(provider);
        var subject = Guid.NewGuid();

        var first = await bed.PseudonymAsync("acme-ads", subject);
        var again = await bed.PseudonymAsync("acme-ads", subject);
        var other = await bed.PseudonymAsync("other-agency", subject);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Matches("^[0-9a-f]{32}$", first);
        Assert.DoesNotContain(subject.ToString("N"), first, StringComparison.Ordinal);
        await using var keys = bed.Store.NewKeyContext();
        var rows = await keys.Set<RecipientKey>().AsNoTracking().OrderBy(k => k.RecipientId).ToListAsync(Ct);
        Assert.Equal(["acme-ads", "other-agency"], rows.Select(r => r.RecipientId));
        Assert.All(rows, r => Assert.Equal(bed.Services.Root.GetRequiredService<MasterKeyRing>().CurrentId, r.MasterKeyId));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task PseudonymAsync_AfterMasterKeyRotation_IsTheSameInAFreshProcess(DatabaseProvider provider)
    {
        await using var bed = await DatasetBed.StartAsync(provider);
        var subject = Guid.NewGuid();
        var before = await bed.PseudonymAsync("acme-ads", subject);

        KeyRotation rotation;
        await using (var scope = bed.Services.CreateScope())
        {
            rotation = await scope.ServiceProvider.GetRequiredService<SubjectKeys>()
                .RotateMasterKeyAsync(scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), "staff:test", Ct);
        }

        // A fresh process holds only the new master key: the recipient's key must have been rewrapped under it.
        await using var fresh = new VaultServices(bed.Store, bed.Folder, bed.Time);
        var after = await fresh.Root.GetRequiredService<RecipientPseudonyms>().PseudonymAsync("acme-ads", subject, Ct);

        Assert.Equal(before, after);
        await using var keys = bed.Store.NewKeyContext();
        Assert.Equal(rotation.MasterKeyId, (await keys.Set<RecipientKey>().AsNoTracking().SingleAsync(Ct)).MasterKeyId);
    }
}
