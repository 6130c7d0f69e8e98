using System.Security.Cryptography;
using System.Text;

namespace Konzen.Privacy.Vault;

/// <summary>
/// Key files, readable by the owner only: the vault's keys (32 random bytes in base64 on one line)
/// and the other secrets the service generates on first start (the receipt signing key, the
/// evidence key). A key file that others can read is refused rather than used.
/// </summary>
internal static class KeyFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Reads the key at <paramref name="path"/>, or creates it with a new random key if there is none.</summary>
    public static byte[] LoadOrCreate(string path, string name) =>
        Decode(
            Encoding.ASCII.GetString(ReadOrCreate(path, name, () => Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(FieldCipher.KeySize)) + "\n"))).Trim(),
            $"The {name} file '{path}'");

    /// <summary>
    /// The content of the owner-only file at <paramref name="path"/>, created with <paramref name="create"/>'s
    /// bytes if there is none. A new file is written under a temporary name with mode 0600 from the
    /// start and then moved into place without overwriting, so that two nodes starting together on a
    /// shared folder both end up with the one key that won.
    /// </summary>
    public static byte[] ReadOrCreate(string path, string name, Func<byte[]> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        if (File.Exists(path))
        {
            return ReadOwnerOnly(path, name);
        }

        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var content = create();
        try
        {
            Create(temporary, content, name);
            File.Move(temporary, full, overwrite: false);
            return content;
        }
        catch (IOException) when (File.Exists(full))
        {
            return ReadOwnerOnly(full, name);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Reads the key at <paramref name="path"/>.</summary>
    public static byte[] Load(string path, string name) =>
        Decode(Encoding.ASCII.GetString(ReadOwnerOnly(path, name)).Trim(), $"The {name} file '{path}'");

    /// <summary>The bytes of <paramref name="path"/>, refused if other users can read it: the key would no longer be a secret.</summary>
    private static byte[] ReadOwnerOnly(string path, string name)
    {
        try
        {
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOther) != 0)
            {
                throw new VaultKeyException($"The {name} file '{path}' can be read by other users; make it readable by its owner only (chmod 600).");
            }

            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VaultKeyException($"The {name} file '{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Creates <paramref name="path"/> holding <paramref name="key"/> in base64; fails if the file exists.</summary>
    public static void Write(string path, ReadOnlySpan<byte> key, string name) =>
        Create(path, Encoding.ASCII.GetBytes(Convert.ToBase64String(key) + "\n"), name);

    /// <summary>Creates <paramref name="path"/> holding <paramref name="content"/>, owner-only from the start; fails if the file exists.</summary>
    private static void Create(string path, ReadOnlySpan<byte> content, string name)
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
            stream.Write(content);
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
