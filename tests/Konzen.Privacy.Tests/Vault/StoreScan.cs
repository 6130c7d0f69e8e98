using System.Text;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Npgsql;

namespace Konzen.Privacy.Tests.Vault;

/// <summary>
/// Everything both stores hold, as an attacker with a copy would see it: the raw SQLite files
/// (with their write-ahead logs), or the text of every row of every PostgreSQL table.
/// </summary>
internal static class StoreScan
{
    public static async Task<byte[]> ReadAllAsync(TestStore store)
    {
        using var all = new MemoryStream();
        if (store.Provider == DatabaseProvider.Sqlite)
        {
            foreach (var file in Directory.GetFiles(store.Folder!).Order(StringComparer.Ordinal))
            {
                // Opened for shared access: the stores' pooled connections still hold the files open.
                await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                await stream.CopyToAsync(all);
            }

            return all.ToArray();
        }

        var text = new StringBuilder();
        foreach (var connectionString in new[] { store.DatabaseConnectionString, store.KeyStoreConnectionString })
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            var tables = new List<string>();
            await using (var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", connection))
            await using (var reader = await list.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    tables.Add(reader.GetString(0));
                }
            }

            Assert.NotEmpty(tables);
            foreach (var table in tables)
            {
                await using var rows = new NpgsqlCommand($"SELECT t::text FROM \"{table}\" t", connection);
                await using var reader = await rows.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    text.AppendLine(reader.GetString(0));
                }
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>The ways a text can show up in a store: UTF-8 and UTF-16, as written, lower and upper case, and in hex (as PostgreSQL prints bytea).</summary>
    public static IEnumerable<(string Form, byte[] Bytes)> FormsOf(string value)
    {
        foreach (var (caseName, text) in new[] { ("as written", value), ("lower", value.ToLowerInvariant()), ("upper", value.ToUpperInvariant()) })
        {
            foreach (var (encodingName, bytes) in new[] { ("UTF-8", Encoding.UTF8.GetBytes(text)), ("UTF-16", Encoding.Unicode.GetBytes(text)) })
            {
                yield return ($"{caseName} {encodingName}", bytes);
                yield return ($"{caseName} {encodingName} hex", Encoding.ASCII.GetBytes(Convert.ToHexStringLower(bytes)));
            }
        }
    }

    /// <summary>The ways a key can show up: raw, base64 and hex.</summary>
    public static IEnumerable<(string Form, byte[] Bytes)> FormsOfKey(byte[] key)
    {
        yield return ("raw", key);
        yield return ("base64", Encoding.ASCII.GetBytes(Convert.ToBase64String(key)));
        yield return ("hex", Encoding.ASCII.GetBytes(Convert.ToHexStringLower(key)));
        yield return ("HEX", Encoding.ASCII.GetBytes(Convert.ToHexString(key)));
    }

    public static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
