using System.ComponentModel.DataAnnotations;

namespace Konzen.Privacy.Storage;

/// <summary>Where personal data and the keys that protect it are stored. Bound from <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>
    /// The data store's connection string. Defaults to null: an SQLite file <c>privacy.db</c> in
    /// <see cref="DataDirectory"/>. A string with <c>Host=</c> (or a <c>postgres://</c> URL) selects PostgreSQL.
    /// </summary>
    public string? Database { get; set; }

    /// <summary>
    /// The key store's connection string, kept apart from the data store so that a copy of the data
    /// (a backup, a dump) never holds the keys that open it. Defaults to null: an SQLite file
    /// <c>keys.db</c> in <see cref="DataDirectory"/>. Must be set when <see cref="Database"/> is PostgreSQL.
    /// </summary>
    public string? KeyStore { get; set; }

    /// <summary>The folder for the embedded stores and the generated key files. Defaults to <c>data</c>.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>The data store's connection string, with the embedded default filled in.</summary>
    public string DatabaseConnectionString =>
        Database ?? $"Data Source={Path.Combine(DataDirectory, "privacy.db")}";

    /// <summary>The key store's connection string, with the embedded default filled in.</summary>
    public string KeyStoreConnectionString =>
        KeyStore ?? $"Data Source={Path.Combine(DataDirectory, "keys.db")}";
}
