using System.Security.Cryptography;
using System.Text;

namespace Konzen.Privacy.Vault;

/// <summary>
/// Key files: 32 random bytes in base64 on one line, readable by the owner only. A key file that
/// others can read is refused rather than used, because the key would no longer be a secret.
/// </summary>
internal static class KeyFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Reads the key at <paramref name="path"/>, or creates it with a new random key if there is none.</summary>
    public static byte[] LoadOrCreate(string path, string name)
    {
        if (File.Exists(path))
        {
            return Load(path, name);
        }

        var key = RandomNumberGenerator.GetBytes(FieldCipher.KeySize);
        try
        {
            Write(path, key, name);
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first (two nodes starting at once on a shared folder): use theirs.
            return Load(path, name);
        }
    }

    /// <summary>Reads the key at <paramref name="path"/>.</summary>
    public static byte[] Load(string path, string name)
    {
        try
        {
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOther) != 0)
            {
                throw new VaultKeyException($"The {name} file '{path}' can be read by other users; make it readable by its owner only (chmod 600).");
            }

            return Decode(File.ReadAllText(path).Trim(), $"The {name} file '{path}'");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VaultKeyException($"The {name} file '{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Creates <paramref name="path"/> holding <paramref name="key"/>; fails if the file exists.</summary>
    public static void Write(string path, ReadOnlySpan<byte> key, string name)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder)
        {
            Directory.CreateDirectory(folder);
        }

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            // Created with 0600 from the start, so there is no moment at which the key is readable by others.
            options.UnixCreateMode = OwnerOnly;
        }

        try
        {
            using var stream = new FileStream(path, options);
            stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(key) + "\n"));
            stream.Flush(flushToDisk: true);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new VaultKeyException($"The {name} file '{path}' cannot be created: {e.Message}", e);
        }
    }

    /// <summary>Decodes a base64 key of exactly 32 bytes; <paramref name="source"/> names where it came from in the error.</summary>
    public static byte[] Decode(string base64, string source)
    {
        var key = new byte[FieldCipher.KeySize];
        if (!Convert.TryFromBase64String(base64, key, out var written) || written != FieldCipher.KeySize)
        {
            throw new VaultKeyException($"{source} does not hold a key: it must be {FieldCipher.KeySize} bytes in base64.");
        }

        return key;
    }
}
