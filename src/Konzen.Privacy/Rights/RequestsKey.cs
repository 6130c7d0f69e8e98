using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Rights;

/// <summary>
/// The key that seals anonymous reports, which belong to no subject and so have no subject key. It
/// lives in a key file beside the other generated keys, never in the data store.
/// </summary>
public sealed class RequestsKey(IOptions<RequestOptions> options, IOptions<StorageOptions> storage)
{
    private readonly byte[] key = KeyFiles.LoadOrCreate(
        options.Value.KeyFile ?? Path.Combine(storage.Value.DataDirectory, "requests.key"), "requests key");

    internal ReadOnlySpan<byte> Value => key;
}
