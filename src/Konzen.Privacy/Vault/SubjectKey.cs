using Konzen.Privacy.Storage;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Vault;

/// <summary>A subject's 256-bit data key, wrapped (encrypted) by a master key. Deleting it shreds the subject's data.</summary>
public sealed class SubjectKey
{
    public Guid SubjectId { get; set; }

    /// <summary>The data key encrypted with AES-256-GCM under the master key named by <see cref="MasterKeyId"/>.</summary>
    public byte[] WrappedKey { get; set; } = [];

    /// <summary>Which master key wrapped it, so that rotation can find what is left to rewrap.</summary>
    public string MasterKeyId { get; set; } = string.Empty;

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// The key store: a database of its own, so that the data store and its backups never hold the
/// keys that open them.
/// </summary>
public sealed class KeyStoreDbContext(DbContextOptions<KeyStoreDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<SubjectKey> SubjectKeys => Set<SubjectKey>();

    /// <summary>
    /// The keys that protect session cookies and bearer tokens. Kept here, not in a local folder, so
    /// that every node sharing the key store accepts the sessions the others issued, and a restart
    /// does not sign everyone out.
    /// </summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var key = modelBuilder.Entity<SubjectKey>();
        key.ToTable("subject_keys");
        key.HasKey(k => k.SubjectId);
        key.Property(k => k.MasterKeyId).HasMaxLength(64);
        key.HasIndex(k => k.MasterKeyId);
        modelBuilder.Entity<DataProtectionKey>().ToTable("data_protection_keys");
        Collection.EventEpochKey.Configure(modelBuilder);
        Sharing.RecipientKey.Configure(modelBuilder);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        Conventions.Apply(configurationBuilder, Database.IsSqlite());
}
