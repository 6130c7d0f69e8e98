using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Residency;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Tests.Residency;

/// <summary>
/// S2.3: data of a subject is never written to a store configured for another region, whichever
/// writer tries, and a refused write leaves the store as it was.
/// </summary>
public sealed class WriteGuardTests
{
    private const string Actor = "staff:test";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.3")]
    public async Task VaultWrite_SubjectOfAnotherRegion_RefusedAndStoreUnchanged(DatabaseProvider provider)
    {
        await using var bed = await ResidencyBed.CreateAsync(provider);
        var services = bed.Start();
        var subjectId = await bed.SubjectAsync(TransferPolicy.Region);
        var before = await bed.CountsAsync();
        await using var scope = services.CreateScope();

        var refused = await Assert.ThrowsAsync<ResidencyViolationException>(() => scope.ServiceProvider.GetRequiredService<PersonalDataVault>().WriteAsync(
            scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), subjectId, PersonalDataVault.EmailField, "far@example.com", Actor, Ct));

        Assert.Equal(("CN", "SG"), (refused.StoreRegion, refused.SubjectRegion));
        Assert.Equal("This data store is in region CN; data of a subject homed in region SG is not written to it (S2.3). Nothing was saved.", refused.Message);
        Assert.Equal(before, await bed.CountsAsync());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.3")]
    public async Task LocationRecord_SubjectOfAnotherRegion_RefusedAndStoreUnchanged(DatabaseProvider provider)
    {
        await using var bed = await ResidencyBed.CreateAsync(provider);
        var services = bed.Start();
        var subjectId = await bed.SubjectAsync(TransferPolicy.Region);
        var before = await bed.CountsAsync();
        await using var scope = services.CreateScope();
        var intake = scope.ServiceProvider.GetRequiredService<LocationIntake>();

        foreach (var on in new[] { true, false })
        {
            var report = new LocationReport(1.29, 103.85, 10, LocationSource.Gps, on, services.Time.GetUtcNow());
            await Assert.ThrowsAsync<ResidencyViolationException>(() => intake.RecordAsync(subjectId, report, Actor, Ct));
        }

        Assert.Equal(before, await bed.CountsAsync());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.3")]
    public async Task EventRecord_SubjectOfAnotherRegion_RefusedAndStoreUnchanged(DatabaseProvider provider)
    {
        await using var bed = await ResidencyBed.CreateAsync(provider);
        var services = bed.Start();
        var subjectId = await bed.SubjectAsync(TransferPolicy.Region);
        var before = await bed.CountsAsync();
        await using var scope = services.CreateScope();
        EventInput[] events = [new("click", "security", services.Time.GetUtcNow(), "/", "search", null)];

        await Assert.ThrowsAsync<ResidencyViolationException>(() => scope.ServiceProvider.GetRequiredService<EventIntake>()
            .RecordAsync(EventActor.Subject(subjectId), events, globalPrivacyControl: false, address: null, Ct));

        Assert.Equal(before, await bed.CountsAsync());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.3")]
    public async Task ConsentRecord_SubjectOfAnotherRegion_RefusedAndStoreUnchanged(DatabaseProvider provider)
    {
        await using var bed = await ResidencyBed.CreateAsync(provider);
        var services = bed.Start();
        var subjectId = await bed.SubjectAsync(TransferPolicy.Region);
        var before = await bed.CountsAsync();
        await using var scope = services.CreateScope();

        await Assert.ThrowsAsync<ResidencyViolationException>(() => scope.ServiceProvider.GetRequiredService<ConsentLedger>()
            .RecordAsync(subjectId, "personalize", true, ConsentMethod.Api, null, Actor, Ct));

        Assert.Equal(before, await bed.CountsAsync());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.3")]
    public async Task Writers_StoreConfiguredForAnotherRegion_RefuseHomeSubjectsAndStoreUnchanged(DatabaseProvider provider)
    {
        // The deployment serves CN, but its store is in SG: nothing of a CN subject may go there.
        await using var bed = await ResidencyBed.CreateAsync(provider);
        var services = bed.Start(settings: ("Residency:StoreRegion", "SG"));
        var subjectId = await bed.SubjectAsync("CN");
        var before = await bed.CountsAsync();
        await using var scope = services.CreateScope();
        var provided = scope.ServiceProvider;

        var vault = await Assert.ThrowsAsync<ResidencyViolationException>(() => provided.GetRequiredService<PersonalDataVault>().WriteAsync(
            provided.GetRequiredService<PrivacyDbContext>(), subjectId, PersonalDataVault.PhoneField, "+8613800138000", Actor, Ct));
        await Assert.ThrowsAsync<ResidencyViolationException>(() => provided.GetRequiredService<ConsentLedger>()
            .RecordAsync(subjectId, "functional.location", true, ConsentMethod.Api, null, Actor, Ct));
        await Assert.ThrowsAsync<ResidencyViolationException>(() => provided.GetRequiredService<LocationIntake>()
            .RecordAsync(subjectId, new LocationReport(39.9, 116.4, 10, LocationSource.Wifi, true, services.Time.GetUtcNow()), Actor, Ct));

        Assert.Equal(("SG", "CN"), (vault.StoreRegion, vault.SubjectRegion));
        Assert.Equal(before, await bed.CountsAsync());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.3")]
    public async Task SaveChanges_AnyRowOfSubjectOfAnotherRegion_RefusesTheWholeSave(DatabaseProvider provider)
    {
        // The backstop a writer gets without calling the guard: one foreign row spoils the whole save.
        await using var bed = await ResidencyBed.CreateAsync(provider);
        var services = bed.Start();
        var home = await bed.SubjectAsync("CN");
        var abroad = await bed.SubjectAsync(TransferPolicy.Region);
        var before = await bed.CountsAsync();
        await using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        db.Add(new PositioningState { SubjectId = home, On = true, Since = services.Time.GetUtcNow() });
        db.Add(new PersonalField { SubjectId = abroad, Field = "user.contact.email", Ciphertext = [1, 2, 3], UpdatedAt = services.Time.GetUtcNow() });

        var refused = await Assert.ThrowsAsync<ResidencyViolationException>(() => db.SaveChangesAsync(Ct));

        Assert.Equal("SG", refused.SubjectRegion);
        Assert.Equal(before, await bed.CountsAsync());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.3")]
    public async Task SaveChangesSync_ChangedRowOfSubjectOfAnotherRegion_RefusedAndRowUnchanged(DatabaseProvider provider)
    {
        // A row already there (written before the store's region was set right) may not be changed either.
        await using var bed = await ResidencyBed.CreateAsync(provider);
        var services = bed.Start();
        var abroad = await bed.SubjectAsync(TransferPolicy.Region);
        await using (var direct = bed.Store.NewDataContext())
        {
            direct.Add(new PositioningState { SubjectId = abroad, On = true, Since = services.Time.GetUtcNow() });
            await direct.SaveChangesAsync(Ct);
        }

        await using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        var state = await db.Set<PositioningState>().SingleAsync(p => p.SubjectId == abroad, Ct);
        state.On = false;

        Assert.Throws<ResidencyViolationException>(() => db.SaveChanges());

        await using var check = bed.Store.NewDataContext();
        Assert.True((await check.Set<PositioningState>().SingleAsync(p => p.SubjectId == abroad, Ct)).On);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.3")]
    public async Task SaveChanges_NewSubjectOfAnotherRegionOrRowOfNoSubject_Refused(DatabaseProvider provider)
    {
        await using var bed = await ResidencyBed.CreateAsync(provider);
        var services = bed.Start();
        var before = await bed.CountsAsync();
        await using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();

        var subject = VaultServices.NewSubject();
        subject.Region = TransferPolicy.Region;
        db.Add(subject);
        await Assert.ThrowsAsync<ResidencyViolationException>(() => db.SaveChangesAsync(Ct));
        db.ChangeTracker.Clear();

        // consent_events has no foreign key: the check is what keeps a row of nobody's (so of no known region) out.
        db.Add(new ConsentEvent { SubjectId = Guid.NewGuid(), PurposeKey = "personalize", Granted = true, PolicyHash = "h", At = services.Time.GetUtcNow(), ReceiptId = Guid.NewGuid(), Receipt = "r" });
        var unknown = await Assert.ThrowsAsync<ResidencyViolationException>(() => db.SaveChangesAsync(Ct));
        db.ChangeTracker.Clear();

        Assert.Null(unknown.SubjectRegion);
        Assert.Equal(before, await bed.CountsAsync());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.3")]
    public async Task SaveChanges_HomeSubjectAndRowsInOneSave_Saved(DatabaseProvider provider)
    {
        // A new subject and its first rows in one save, as registration does: the tracked subject answers for its rows.
        await using var bed = await ResidencyBed.CreateAsync(provider);
        var services = bed.Start();
        await using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        var subject = VaultServices.NewSubject();
        db.Add(subject);
        db.Add(new PositioningState { SubjectId = subject.Id, On = false, Since = services.Time.GetUtcNow() });

        await db.SaveChangesAsync(Ct);

        Assert.Equal("subjects 1, fields 0, points 0, events 0, positioning 1, consents 0, transfer consents 0, audit 0, keys 0", await bed.CountsAsync());
    }

    [Fact]
    [Trait("Clause", "S2.3")]
    public void Guard_Defaults_DeploymentAndStoreInTheControllersRegion()
    {
        var policy = CompiledPolicy.Compile(PolicyLoader.LoadDefault());

        var guard = new ResidencyGuard(Options.Create(new ResidencyOptions()), policy);

        Assert.Equal(("CN", "CN"), (guard.Region, guard.StoreRegion));
        Assert.True(guard.IsWritable(policy.Region("CN")));
        Assert.False(guard.IsWritable(RegionId.Undeclared));
    }
}
