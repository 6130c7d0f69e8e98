using System.ComponentModel.DataAnnotations;

namespace Konzen.Privacy.Vault;

/// <summary>Where the vault's keys come from and how long unwrapped keys stay in memory. Bound from <c>Vault</c>.</summary>
public sealed class VaultOptions
{
    public const string Section = "Vault";

    /// <summary>
    /// The environment variable (or top-level configuration key) that may carry the master key, 32
    /// bytes in base64. When set it wins over <see cref="MasterKeyFile"/>, for deployments that keep
    /// secrets out of the file system.
    /// </summary>
    public const string MasterKeyVariable = "KONZEN_MASTER_KEY";

    /// <summary>
    /// With <see cref="MasterKeyVariable"/>: the new master key (base64) that <c>konzen keys rotate</c>
    /// rewraps the subject keys under. Afterwards it becomes the new <see cref="MasterKeyVariable"/>.
    /// </summary>
    public const string NextMasterKeyVariable = "KONZEN_MASTER_KEY_NEXT";

    /// <summary>
    /// The file that holds the master key (32 bytes, base64), created with mode 0600 on first start.
    /// Defaults to null: <c>master.key</c> in <see cref="Storage.StorageOptions.DataDirectory"/>.
    /// </summary>
    public string? MasterKeyFile { get; set; }

    /// <summary>
    /// The file that holds the blind-index key (32 bytes, base64), created with mode 0600 on first
    /// start. Defaults to null: <c>index.key</c> in <see cref="Storage.StorageOptions.DataDirectory"/>.
    /// Kept apart from the master key so that rotating the master key never forces a reindex.
    /// </summary>
    public string? BlindIndexKeyFile { get; set; }

    /// <summary>
    /// How long an unwrapped subject key stays in memory after it was loaded (absolute, not sliding).
    /// Defaults to one minute: long enough to spare the key store on a burst of reads of one subject,
    /// short enough that a key shredded by another node stops working here soon after.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan KeyCacheDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>At most this many unwrapped subject keys are held in memory. Defaults to 10,000 (about 1 MB).</summary>
    [Range(0, 10_000_000)]
    public int KeyCacheSize { get; set; } = 10_000;
}
