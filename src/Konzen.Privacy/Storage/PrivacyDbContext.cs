using Konzen.Privacy.Audit;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Konzen.Privacy.Storage;

/// <summary>
/// The data store: subjects, their encrypted personal fields and the audit log. The keys that open
/// the fields live in another store (<see cref="KeyStoreDbContext"/>). Each entity's configuration
/// sits beside the entity in its feature folder.
/// </summary>
public sealed class PrivacyDbContext(DbContextOptions<PrivacyDbContext> options) : DbContext(options)
{
    public DbSet<Subject> Subjects => Set<Subject>();

    public DbSet<PersonalField> PersonalFields => Set<PersonalField>();

    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(PrivacyDbContext).Assembly);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        Conventions.Apply(configurationBuilder, Database.IsSqlite());
}

/// <summary>Conventions both stores share.</summary>
internal static class Conventions
{
    /// <summary>
    /// SQLite has no timestamp type, and EF Core cannot compare or order DateTimeOffset text there;
    /// storing UTC instants as 64-bit numbers keeps expiry queries in SQL. PostgreSQL keeps timestamptz.
    /// </summary>
    public static void Apply(ModelConfigurationBuilder configurationBuilder, bool sqlite)
    {
        if (sqlite)
        {
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        }
    }
}
