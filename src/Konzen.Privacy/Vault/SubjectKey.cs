using Konzen.Privacy.Storage;
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
public sealed class KeyStoreDbContext(DbContextOptions<KeyStoreDbContext> options) : DbContext(options)
{
    public DbSet<SubjectKey> SubjectKeys => Set<SubjectKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var key = modelBuilder.Entity<SubjectKey>();
        key.ToTable("subject_keys");
        key.HasKey(k => k.SubjectId);
        key.Property(k => k.MasterKeyId).HasMaxLength(64);
        key.HasIndex(k => k.MasterKeyId);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        Conventions.Apply(configurationBuilder, Database.IsSqlite());
}
