using Konzen.Privacy.Consent;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Vault;

public sealed class PersonalDataVaultTests
{
    private const string Email = PersonalDataVault.EmailField;
    private const string Phone = PersonalDataVault.PhoneField;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.1")]
    public async Task Read_NecessaryPurpose_ReturnsTheWrittenValueAndAuditsBoth(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var bed = new VaultBed(store);
        var subject = await bed.NewSubjectAsync();

        Assert.Equal(VaultWrite.Written, await bed.WriteAsync(subject, Email, "li.wei@example.cn"));
        var read = await bed.ReadAsync(subject, Email);

        Assert.True(read.Decision.Allowed);
        Assert.Equal(DecisionReason.Necessary, read.Decision.Reason);
        Assert.Equal("li.wei@example.cn", read.Value);
        await using var db = store.NewDataContext();
        var audit = await db.AuditEntries.AsNoTracking().OrderBy(e => e.Sequence).ToListAsync(Ct);
        Assert.Equal(["field.written", "field.read"], audit.Select(e => e.Action));
        Assert.All(audit, e => Assert.Equal(subject, e.SubjectId));
        Assert.All(audit, e => Assert.Equal(Email, e.Field));
        Assert.Equal(VaultBed.Authentication, audit[1].Purpose);
        Assert.StartsWith("allowed: Necessary", audit[1].Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(audit, e => $"{e.Actor}{e.Detail}{e.Purpose}".Contains("li.wei", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite, VaultBed.Surveys, DecisionReason.NotConsented)]
    [InlineData(DatabaseProvider.Postgres, VaultBed.Surveys, DecisionReason.NotConsented)]
    [InlineData(DatabaseProvider.Sqlite, "marketing.resale", DecisionReason.NotDeclared)]
    [InlineData(DatabaseProvider.Postgres, "marketing.resale", DecisionReason.NotDeclared)]
    [Trait("Clause", "S4.9")]
    public async Task Read_PurposeWithoutBasis_ReturnsTheDenialWithoutTheValueAndAuditsIt(DatabaseProvider provider, string purpose, DecisionReason reason)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var bed = new VaultBed(store);
        var subject = await bed.NewSubjectAsync();
        await bed.WriteAsync(subject, Email, "li.wei@example.cn");

        var read = await bed.ReadAsync(subject, Email, purpose);

        Assert.False(read.Decision.Allowed);
        Assert.Equal(reason, read.Decision.Reason);
        Assert.Null(read.Value);
        await using var db = store.NewDataContext();
        var last = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Sequence).FirstAsync(Ct);
        Assert.Equal("field.read", last.Action);
        Assert.Equal(purpose, last.Purpose);
        Assert.Equal(subject, last.SubjectId);
        Assert.StartsWith($"denied: {reason}", last.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Read_OptionalPurposeWithConsent_ReturnsTheValue(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var bed = new VaultBed(store);
        var subject = await bed.NewSubjectAsync();
        await bed.WriteAsync(subject, Phone, "+8613800138000");
        var consenting = bed.Policy.Subject(ConsentSet.None.With(bed.Policy.Purpose(VaultBed.Surveys)));

        var read = await bed.ReadAsync(subject, Phone, VaultBed.Surveys, consenting);

        Assert.Equal(DecisionReason.Consented, read.Decision.Reason);
        Assert.Equal("+8613800138000", read.Value);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.1")]
    [Trait("Clause", "S3.2")]
    public async Task Read_CiphertextsSwappedBetweenSubjects_FailsTheIntegrityCheck(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var bed = new VaultBed(store);
        var alice = await bed.NewSubjectAsync();
        var bob = await bed.NewSubjectAsync();
        await bed.WriteAsync(alice, Email, "alice@example.cn");
        await bed.WriteAsync(bob, Email, "bob@example.cn");

        await SwapAsync(store, (alice, Email), (bob, Email));

        await Assert.ThrowsAsync<VaultIntegrityException>(() => bed.ReadAsync(alice, Email));
        await Assert.ThrowsAsync<VaultIntegrityException>(() => bed.ReadAsync(bob, Email));
        await using var db = store.NewDataContext();
        var last = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Sequence).FirstAsync(Ct);
        Assert.EndsWith("not read: integrity check failed", last.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.1")]
    [Trait("Clause", "S3.2")]
    public async Task Read_CiphertextsSwappedBetweenFieldsOfOneSubject_FailsTheIntegrityCheck(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var bed = new VaultBed(store);
        var subject = await bed.NewSubjectAsync();
        await bed.WriteAsync(subject, Email, "li.wei@example.cn");
        await bed.WriteAsync(subject, Phone, "+8613800138000");
        Assert.Equal("+8613800138000", (await bed.ReadAsync(subject, Phone)).Value);

        await SwapAsync(store, (subject, Email), (subject, Phone));

        var error = await Assert.ThrowsAsync<VaultIntegrityException>(() => bed.ReadAsync(subject, Email));
        await Assert.ThrowsAsync<VaultIntegrityException>(() => bed.ReadAsync(subject, Phone));
        Assert.DoesNotContain("li.wei", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("138", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.4")]
    public async Task Read_AfterShred_FailsWithKeyMissingEvenInAFreshProcess(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var bed = new VaultBed(store);
        var subject = await bed.NewSubjectAsync();
        var other = await bed.NewSubjectAsync();
        await bed.WriteAsync(subject, Email, "li.wei@example.cn");
        await bed.WriteAsync(other, Email, "other@example.cn");
        Assert.NotNull((await bed.ReadAsync(subject, Email)).Value);

        bool shredded;
        await using (var scope = bed.Services.CreateScope())
        {
            shredded = await scope.ServiceProvider.GetRequiredService<SubjectKeys>().ShredAsync(subject, Ct);
        }

        Assert.True(shredded);
        var error = await Assert.ThrowsAsync<SubjectKeyMissingException>(() => bed.ReadAsync(subject, Email));
        Assert.Equal(subject, error.SubjectId);
        Assert.Contains("shredded", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<SubjectKeyMissingException>(() => VaultBed.ReadAsync(bed.Restart(), subject, Email, VaultBed.Authentication, bed.Adult));
        Assert.Equal("other@example.cn", (await bed.ReadAsync(other, Email)).Value);
        await using var keys = store.NewKeyContext();
        Assert.False(await keys.SubjectKeys.AnyAsync(k => k.SubjectId == subject, Ct));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Read_CachedKeyExpired_IsReloadedFromTheKeyStore(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var bed = new VaultBed(store);
        var subject = await bed.NewSubjectAsync();
        await bed.WriteAsync(subject, Email, "li.wei@example.cn");
        var cache = bed.Services.Root.GetRequiredService<SubjectKeyCache>();
        Assert.Equal(1, cache.Count);

        // Changing the stored key behind the cache's back shows which copy a read uses.
        await using (var keys = store.NewKeyContext())
        {
            await keys.SubjectKeys.Where(k => k.SubjectId == subject).ExecuteDeleteAsync(Ct);
        }

        Assert.Equal("li.wei@example.cn", (await bed.ReadAsync(subject, Email)).Value);
        bed.Services.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("li.wei@example.cn", (await bed.ReadAsync(subject, Email)).Value);
        bed.Services.Time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<SubjectKeyMissingException>(() => bed.ReadAsync(subject, Email));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task FindByEmail_OtherCaseAndSpaces_FindsTheSubjectByBlindIndex(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var bed = new VaultBed(store);
        var subject = await bed.NewSubjectAsync();
        await bed.WriteAsync(subject, Email, "Li.Wei@Example.CN");
        await bed.WriteAsync(subject, Phone, "+8613800138000");

        await using var scope = bed.Services.CreateScope();
        var vault = scope.ServiceProvider.GetRequiredService<PersonalDataVault>();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        Assert.Equal(subject, await vault.FindByEmailAsync(db, "  li.wei@example.cn ", Ct));
        Assert.Equal(subject, await vault.FindByPhoneAsync(db, "+8613800138000", Ct));
        Assert.Null(await vault.FindByEmailAsync(db, "li.wei@example.com", Ct));
        Assert.Null(await vault.FindByPhoneAsync(db, "+8613800138001", Ct));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Write_EmailOfAnotherSubject_IsRefusedAndChangesNothing(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var bed = new VaultBed(store);
        var first = await bed.NewSubjectAsync();
        var second = await bed.NewSubjectAsync();
        await bed.WriteAsync(first, Email, "li.wei@example.cn");
        var fields = await bed.PersonalFieldsAsync();
        int audits;
        await using (var db = store.NewDataContext())
        {
            audits = await db.AuditEntries.CountAsync(Ct);
        }

        var outcome = await bed.WriteAsync(second, Email, "LI.WEI@example.cn");

        Assert.Equal(VaultWrite.ContactInUse, outcome);
        Assert.Equal(fields, await bed.PersonalFieldsAsync(), FieldComparer.Instance);
        await using var after = store.NewDataContext();
        Assert.Equal(audits, await after.AuditEntries.CountAsync(Ct));
        Assert.Null((await after.Subjects.AsNoTracking().SingleAsync(s => s.Id == second, Ct)).EmailIndex);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Write_UndeclaredFieldOrUnknownSubject_IsRefusedAndChangesNothing(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var bed = new VaultBed(store);
        var subject = await bed.NewSubjectAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => bed.WriteAsync(subject, "user.financial.bank_account", "DE00 1234"));
        await Assert.ThrowsAsync<ArgumentException>(() => bed.WriteAsync(Guid.NewGuid(), Email, "li.wei@example.cn"));

        Assert.Empty(await bed.PersonalFieldsAsync());
        await using var db = store.NewDataContext();
        Assert.Equal(0, await db.AuditEntries.CountAsync(Ct));
        await using var keys = store.NewKeyContext();
        Assert.Equal(0, await keys.SubjectKeys.CountAsync(Ct));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Write_SecondValue_ReplacesTheFieldAndItsIndex(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Ct);
        await using var bed = new VaultBed(store);
        var subject = await bed.NewSubjectAsync();
        await bed.WriteAsync(subject, Email, "old@example.cn");

        await bed.WriteAsync(subject, Email, "new@example.cn");

        Assert.Equal("new@example.cn", (await bed.ReadAsync(subject, Email)).Value);
        await using var scope = bed.Services.CreateScope();
        var vault = scope.ServiceProvider.GetRequiredService<PersonalDataVault>();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        Assert.Null(await vault.FindByEmailAsync(db, "old@example.cn", Ct));
        Assert.Equal(subject, await vault.FindByEmailAsync(db, "new@example.cn", Ct));
        Assert.Single(await bed.PersonalFieldsAsync());
    }

    /// <summary>Exchanges two stored ciphertexts in SQL, as someone with write access to the database could.</summary>
    private static async Task SwapAsync(TestStore store, (Guid Subject, string Field) a, (Guid Subject, string Field) b)
    {
        await using var db = store.NewDataContext();
        var first = (await db.PersonalFields.AsNoTracking().SingleAsync(f => f.SubjectId == a.Subject && f.Field == a.Field, Ct)).Ciphertext;
        var second = (await db.PersonalFields.AsNoTracking().SingleAsync(f => f.SubjectId == b.Subject && f.Field == b.Field, Ct)).Ciphertext;
        // Matching rows by their (random, hence unique) ciphertext keeps the SQL the same on both providers.
        var changed = await db.Database.ExecuteSqlAsync(
            $"""UPDATE personal_fields SET "Ciphertext" = CASE WHEN "Ciphertext" = {first} THEN {second} ELSE {first} END WHERE "Ciphertext" = {first} OR "Ciphertext" = {second}""",
            Ct);
        Assert.Equal(2, changed);
    }
}

/// <summary>Compares stored field rows byte for byte.</summary>
internal sealed class FieldComparer : IEqualityComparer<(Guid SubjectId, string Field, byte[] Ciphertext, DateTimeOffset UpdatedAt)>
{
    public static readonly FieldComparer Instance = new();

    public bool Equals((Guid SubjectId, string Field, byte[] Ciphertext, DateTimeOffset UpdatedAt) x, (Guid SubjectId, string Field, byte[] Ciphertext, DateTimeOffset UpdatedAt) y) =>
        x.SubjectId == y.SubjectId && x.Field == y.Field && x.Ciphertext.AsSpan().SequenceEqual(y.Ciphertext) && x.UpdatedAt == y.UpdatedAt;

    public int GetHashCode((Guid SubjectId, string Field, byte[] Ciphertext, DateTimeOffset UpdatedAt) obj) => HashCode.Combine(obj.SubjectId, obj.Field);
}
