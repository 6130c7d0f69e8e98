using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Konzen.Privacy.Migrations.Postgres;

// Used only by `dotnet ef migrations add`, which needs a context of this provider; it never connects.
internal sealed class PrivacyDbContextFactory : IDesignTimeDbContextFactory<PrivacyDbContext>
{
    public PrivacyDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PrivacyDbContext>().Use("Host=localhost;Database=konzen_design").Options);
}

internal sealed class KeyStoreDbContextFactory : IDesignTimeDbContextFactory<KeyStoreDbContext>
{
    public KeyStoreDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<KeyStoreDbContext>().Use("Host=localhost;Database=konzen_design_keys").Options);
}
