using System.Security.Cryptography;
using System.Text;
using Konzen.Privacy.Storage;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Subjects;

/// <summary>Thrown when the subjects key file cannot be used; the message names the file, never the key.</summary>
public sealed class SubjectsKeyException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The server-side secret of registration and login, kept in a key file of its own. Codes are
/// stored as HMACs under it, so a stolen table of six-digit codes cannot be brute-forced offline;
/// data that must exist before a subject (and its vault key) does, such as a pending registration
/// or an SMS in the outbox, is sealed with AES-256-GCM under keys derived from it.
/// </summary>
public sealed class SubjectSecrets
{
    private const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly byte[] codeKey;
    private readonly byte[] pendingKey;
    private readonly byte[] outboxKey;

    public SubjectSecrets(IOptions<SubjectsOptions> options, IOptions<StorageOptions> storage)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storage);
        var file = options.Value.KeyFile ?? Path.Combine(storage.Value.DataDirectory, "subjects.key");
        var root = LoadOrCreate(file);

        // One key per use, so that a code hash can never be confused with a sealed value.
        codeKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, root, KeySize, info: "konzen/subjects/code-hmac/v1"u8.ToArray());
        pendingKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, root, KeySize, info: "konzen/subjects/pending/v1"u8.ToArray());
        outboxKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, root, KeySize, info: "konzen/subjects/sms-outbox/v1"u8.ToArray());
        CryptographicOperations.ZeroMemory(root);
    }

    /// <summary>The HMAC of a code, bound to its registration and channel so that one code cannot verify another.</summary>
    internal byte[] HashCode(Guid registrationId, string channel, string code) =>
        HMACSHA256.HashData(codeKey, Encoding.UTF8.GetBytes($"{registrationId:N}\0{channel}\0{code}"));

    internal byte[] SealPending(Guid registrationId, ReadOnlySpan<byte> plaintext) => Seal(pendingKey, Aad("pending", registrationId), plaintext);

    internal byte[] OpenPending(Guid registrationId, ReadOnlySpan<byte> sealedValue) => Open(pendingKey, Aad("pending", registrationId), sealedValue);

    internal byte[] SealOutbox(Guid messageId, ReadOnlySpan<byte> plaintext) => Seal(outboxKey, Aad("sms-outbox", messageId), plaintext);

    internal byte[] OpenOutbox(Guid messageId, ReadOnlySpan<byte> sealedValue) => Open(outboxKey, Aad("sms-outbox", messageId), sealedValue);

    // The row's id is in the associated data: a sealed value copied into another row fails to open.
    private static byte[] Aad(string label, Guid id) => Encoding.UTF8.GetBytes($"konzen/{label}/v1\0{id:N}");

    private static byte[] Seal(byte[] key, byte[] aad, ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize, plaintext.Length), output.AsSpan(output.Length - TagSize), aad);
        return output;
    }

    private static byte[] Open(byte[] key, byte[] aad, ReadOnlySpan<byte> sealedValue)
    {
        if (sealedValue.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("A sealed value is too short; it was altered.");
        }

        var plaintext = new byte[sealedValue.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(sealedValue[..NonceSize], sealedValue[NonceSize..^TagSize], sealedValue[^TagSize..], plaintext, aad);
        return plaintext;
    }

    private static byte[] LoadOrCreate(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                try
                {
                    Create(path);
                }
                catch (IOException) when (File.Exists(path))
                {
                    // Another node created it first on a shared folder: use theirs.
                }
            }

            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite)) != 0)
            {
                throw new SubjectsKeyException($"The subjects key file '{path}' can be read by other users; make it readable by its owner only (chmod 600).");
            }

            var key = new byte[KeySize];
            if (!Convert.TryFromBase64String(File.ReadAllText(path).Trim(), key, out var written) || written != KeySize)
            {
                throw new SubjectsKeyException($"The subjects key file '{path}' does not hold a key: it must be {KeySize} bytes in base64.");
            }

            return key;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SubjectsKeyException($"The subjects key file '{path}' cannot be used: {e.Message}", e);
        }
    }

    private static void Create(string path)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder)
        {
            Directory.CreateDirectory(folder);
        }

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            // 0600 from the first byte: there is no moment at which others could read the key.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeySize)) + "\n"));
        stream.Flush(flushToDisk: true);
    }
}
