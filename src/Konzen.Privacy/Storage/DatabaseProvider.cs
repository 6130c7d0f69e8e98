using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Konzen.Privacy.Storage;

/// <summary>The two stores Konzen runs on.</summary>
public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>Turns a configured connection string into a provider and EF Core options.</summary>
public static class DatabaseConnection
{
    public const string SqliteMigrationsAssembly = "Konzen.Privacy.Migrations.Sqlite";
    public const string PostgresMigrationsAssembly = "Konzen.Privacy.Migrations.Postgres";

    /// <summary>PostgreSQL for <c>Host=…</c> strings and <c>postgres://</c> URLs, SQLite otherwise.</summary>
    public static DatabaseProvider ProviderOf(string connectionString) =>
        connectionString.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || connectionString.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || connectionString.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            ? DatabaseProvider.Postgres
            : DatabaseProvider.Sqlite;

    /// <summary>Npgsql takes keyword strings; a <c>postgres://user:pass@host:port/db</c> URL is converted.</summary>
    public static string Normalize(string connectionString)
    {
        if (ProviderOf(connectionString) != DatabaseProvider.Postgres || connectionString.Contains('=', StringComparison.Ordinal))
        {
            return connectionString;
        }

        var url = new Uri(connectionString);
        var credentials = url.UserInfo.Split(':', 2);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = url.Host,
            Port = url.IsDefaultPort || url.Port < 0 ? 5432 : url.Port,
            Database = url.AbsolutePath.TrimStart('/'),
            Username = Uri.UnescapeDataString(credentials[0]),
        };
        if (credentials.Length == 2)
        {
            builder.Password = Uri.UnescapeDataString(credentials[1]);
        }

        return builder.ConnectionString;
    }

    /// <summary>Points <paramref name="options"/> at the store, with the migrations of its provider.</summary>
    public static DbContextOptionsBuilder<TContext> Use<TContext>(this DbContextOptionsBuilder<TContext> options, string connectionString)
        where TContext : DbContext
    {
        ((DbContextOptionsBuilder)options).Use(connectionString);
        return options;
    }

    /// <summary>Points <paramref name="options"/> at the store, with the migrations of its provider.</summary>
    public static DbContextOptionsBuilder Use(this DbContextOptionsBuilder options, string connectionString)
    {
        var normalized = Normalize(connectionString);
        return ProviderOf(normalized) == DatabaseProvider.Postgres
            ? options.UseNpgsql(normalized, npgsql => npgsql.MigrationsAssembly(PostgresMigrationsAssembly))
            : options.UseSqlite(normalized, sqlite => sqlite.MigrationsAssembly(SqliteMigrationsAssembly));
    }
}
