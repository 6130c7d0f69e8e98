using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Konzen.Privacy.Migrations.Sqlite;

// Used only by `dotnet ef migrations add`, which needs a context of this provider; it never connects.
internal sealed class PrivacyDbContextFactory : IDesignTimeDbContextFactory<PrivacyDbContext>
{
    public PrivacyDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PrivacyDbContext>().Use("Data Source=design.db").Options);
}

internal sealed class KeyStoreDbContextFactory : IDesignTimeDbContextFactory<KeyStoreDbContext>
{
    public KeyStoreDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<KeyStoreDbContext>().Use("Data Source=design-keys.db").Options);
}
