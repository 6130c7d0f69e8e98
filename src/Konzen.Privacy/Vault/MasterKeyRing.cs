using System.Collections.Frozen;
using System.Security.Cryptography;
using Konzen.Privacy.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Vault;

/// <summary>
/// The master keys this process knows: the current one, which wraps new subject keys, and during a
/// rotation the next one. Each wrapped key names its master key by id, so a rotation that stopped
/// half-way leaves every subject key readable and can simply be run again.
/// </summary>
/// <remarks>
/// The master key comes from <see cref="VaultOptions.MasterKeyVariable"/> when it is set, otherwise
/// from <see cref="VaultOptions.MasterKeyFile"/>, which is created on first start. A rotation with a
/// key file writes the new key to <c>{file}.next</c> first, rewraps, and only then moves it over the
/// old file; a process that starts in between finds both files and reads keys under either.
/// </remarks>
public sealed class MasterKeyRing
{
    private const string Name = "master key";

    private readonly string? file;
    private readonly string source;
    private readonly Lock gate = new();
    private volatile Keys keys;

    public MasterKeyRing(IOptions<VaultOptions> options, IOptions<StorageOptions> storage, IConfiguration configuration)
    {
        var fromEnvironment = configuration[VaultOptions.MasterKeyVariable];
        byte[] current;
        byte[]? next = null;
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            source = VaultOptions.MasterKeyVariable;
            current = KeyFiles.Decode(fromEnvironment.Trim(), VaultOptions.MasterKeyVariable);
            if (configuration[VaultOptions.NextMasterKeyVariable] is { Length: > 0 } nextText)
            {
                next = KeyFiles.Decode(nextText.Trim(), VaultOptions.NextMasterKeyVariable);
            }
        }
        else
        {
            file = options.Value.MasterKeyFile ?? Path.Combine(storage.Value.DataDirectory, "master.key");
            source = file;
            current = KeyFiles.LoadOrCreate(file, Name);
            if (File.Exists(NextFile))
            {
                next = KeyFiles.Load(NextFile, Name);
            }
        }

        keys = Keys.Of(current, next);
    }

    /// <summary>The id of the master key that wraps new subject keys.</summary>
    public string CurrentId => keys.CurrentId;

    /// <summary>Where the current master key comes from: a file path or the environment variable's name.</summary>
    public string Source => source;

    private string NextFile => file + ".next";

    /// <summary>
    /// An id for a master key that names it without revealing it: the first 16 hex digits of a
    /// domain-separated SHA-256 of the key.
    /// </summary>
    internal static string IdOf(ReadOnlySpan<byte> key)
    {
        Span<byte> input = stackalloc byte[64];
        "konzen/master-key-id/v1\0"u8.CopyTo(input);
        key.CopyTo(input[24..]);
        return "mk-" + Convert.ToHexStringLower(SHA256.HashData(input[..(24 + key.Length)]))[..16];
    }

    internal byte[] Wrap(Guid subjectId, ReadOnlySpan<byte> dataKey, out string masterKeyId)
    {
        var current = keys;
        masterKeyId = current.CurrentId;
        return FieldCipher.Wrap(current.Current, subjectId, dataKey);
    }

    internal byte[] Unwrap(Guid subjectId, byte[] wrapped, string masterKeyId)
    {
        if (!keys.All.TryGetValue(masterKeyId, out var master))
        {
            throw new VaultKeyException(
                $"A subject key is wrapped under master key {masterKeyId}, which is not loaded (the current one is {CurrentId}, from {source}).");
        }

        return FieldCipher.Unwrap(master, subjectId, wrapped);
    }

    /// <summary>
    /// The key a rotation rewraps under: the next key left by an unfinished rotation if there is one,
    /// otherwise a new random key, written to <c>{file}.next</c> before any subject key uses it.
    /// </summary>
    internal (byte[] Key, string Id) BeginRotation()
    {
        lock (gate)
        {
            var current = keys;
            if (current.Next is { } pending)
            {
                return (pending, IdOf(pending));
            }

            if (file is null)
            {
                throw new VaultKeyException(
                    $"The master key comes from {VaultOptions.MasterKeyVariable}; to rotate it, set {VaultOptions.NextMasterKeyVariable} to a new key ({FieldCipher.KeySize} random bytes in base64), rotate, then make that the new {VaultOptions.MasterKeyVariable}.");
            }

            var next = RandomNumberGenerator.GetBytes(FieldCipher.KeySize);
            KeyFiles.Write(NextFile, next, Name);
            keys = Keys.Of(current.Current, next);
            return (next, IdOf(next));
        }
    }

    /// <summary>Makes the next key the current one, once every subject key is wrapped under it.</summary>
    internal void CompleteRotation()
    {
        lock (gate)
        {
            if (keys.Next is not { } next)
            {
                return;
            }

            if (file is not null)
            {
                // A rename within one folder replaces the file in one step: there is always a complete key file.
                File.Move(NextFile, file, overwrite: true);
            }

            keys = Keys.Of(next, null);
        }
    }

    private sealed record Keys(byte[] Current, string CurrentId, byte[]? Next, FrozenDictionary<string, byte[]> All)
    {
        public static Keys Of(byte[] current, byte[]? next)
        {
            var all = new Dictionary<string, byte[]>(StringComparer.Ordinal) { [IdOf(current)] = current };
            if (next is not null)
            {
                all[IdOf(next)] = next;
            }

            return new Keys(current, IdOf(current), next, all.ToFrozenDictionary(StringComparer.Ordinal));
        }
    }
}
