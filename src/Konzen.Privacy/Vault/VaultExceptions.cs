namespace Konzen.Privacy.Vault;

/// <summary>
/// A ciphertext failed its integrity check: it was altered, or moved to another subject or field, or
/// wrapped under another master key than the one it names. Never carries the data or a key.
/// </summary>
public sealed class VaultIntegrityException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The subject's data key does not exist: the subject was shredded (or never had data written), so
/// its fields can never be decrypted again.
/// </summary>
public sealed class SubjectKeyMissingException(Guid subjectId)
    : Exception("The subject's data key does not exist (it was shredded), so its personal data cannot be decrypted.")
{
    public Guid SubjectId { get; } = subjectId;
}

/// <summary>A master or blind-index key cannot be loaded, created or used; the message says which and why, never the key.</summary>
public sealed class VaultKeyException(string message, Exception? inner = null) : Exception(message, inner);
