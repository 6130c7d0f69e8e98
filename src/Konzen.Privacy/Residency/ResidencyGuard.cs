using Konzen.Privacy.Policy;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Residency;

/// <summary>
/// Thrown when data of a subject would be written to a data store configured for another region
/// (S2.3). Nothing of the refused change is saved. The message names regions only, never the subject.
/// </summary>
public sealed class ResidencyViolationException(string storeRegion, string? subjectRegion)
    : InvalidOperationException(subjectRegion is null
        ? $"This data store is in region {storeRegion}; data of a subject whose region is unknown or not declared by the policy is not written to it (S2.3). Nothing was saved."
        : $"This data store is in region {storeRegion}; data of a subject homed in region {subjectRegion} is not written to it (S2.3). Nothing was saved.")
{
    /// <summary>The region the data store is configured for.</summary>
    public string StoreRegion { get; } = storeRegion;

    /// <summary>The subject's region, or null when it is unknown or undeclared.</summary>
    public string? SubjectRegion { get; } = subjectRegion;
}

/// <summary>
/// The deployment's region and its store's region, and the one check every writer of a subject's data
/// makes: the subject's region must be the store's. The checks are integer comparisons, cheap enough
/// for bulk writers to call per batch or per subject. Fails closed: an undeclared region is never writable.
/// </summary>
public sealed class ResidencyGuard
{
    private readonly CompiledPolicy policy;

    public ResidencyGuard(IOptions<ResidencyOptions> options, CompiledPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(policy);
        this.policy = policy;
        Region = options.Value.Region ?? policy.Document.Controller.Region;
        StoreRegion = options.Value.StoreRegion ?? Region;
        StoreRegionId = policy.Region(StoreRegion);
    }

    /// <summary>The region this deployment serves; new subjects are homed here.</summary>
    public string Region { get; }

    /// <summary>The region the data store is in.</summary>
    public string StoreRegion { get; }

    /// <summary>The store's region as the compiled policy numbers it.</summary>
    public RegionId StoreRegionId { get; }

    /// <summary>May data of a subject homed in <paramref name="subjectRegion"/> be written to this store?</summary>
    public bool IsWritable(RegionId subjectRegion) => subjectRegion != RegionId.Undeclared && subjectRegion == StoreRegionId;

    /// <summary>Throws <see cref="ResidencyViolationException"/> unless <see cref="IsWritable(RegionId)"/>.</summary>
    public void EnsureWritable(RegionId subjectRegion)
    {
        if (!IsWritable(subjectRegion))
        {
            throw new ResidencyViolationException(StoreRegion, subjectRegion == RegionId.Undeclared ? null : policy.Document.Regions[subjectRegion.Value].Id);
        }
    }

    /// <summary>The same check for a region as stored on the subject (for example <c>CN</c>).</summary>
    public void EnsureWritable(string? subjectRegion)
    {
        var id = subjectRegion is null ? RegionId.Undeclared : policy.Region(subjectRegion);
        if (!IsWritable(id))
        {
            throw new ResidencyViolationException(StoreRegion, id == RegionId.Undeclared ? null : subjectRegion);
        }
    }
}
