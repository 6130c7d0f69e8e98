using Konzen.Privacy.Policy;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Residency;

/// <summary>Where this deployment runs and where its data store is (S2.3). Bound from <c>Residency</c>.</summary>
public sealed class ResidencyOptions
{
    public const string Section = "Residency";

    /// <summary>
    /// The region this deployment serves: every subject it registers is homed here. Defaults to null:
    /// the policy's controller region (CN for the Konzen policy). Must be a region the policy declares.
    /// </summary>
    public string? Region { get; set; }

    /// <summary>
    /// The region the configured data store physically is in. Defaults to null: the same as
    /// <see cref="Region"/>. Must be a region the policy declares. Data of a subject homed elsewhere is
    /// never written to the store.
    /// </summary>
    public string? StoreRegion { get; set; }
}

/// <summary>Refuses, at start-up, a region the policy does not declare: a typo must not pass for a place.</summary>
internal sealed class ResidencyOptionsValidator(CompiledPolicy policy) : IValidateOptions<ResidencyOptions>
{
    public ValidateOptionsResult Validate(string? name, ResidencyOptions options)
    {
        var failures = new List<string>();
        Check(options.Region, "Region");
        Check(options.StoreRegion, "StoreRegion");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(string? region, string setting)
        {
            if (region is not null && policy.Region(region) == RegionId.Undeclared)
            {
                var declared = string.Join(", ", policy.Document.Regions.Select(r => r.Id));
                failures.Add($"{ResidencyOptions.Section}:{setting} is '{region}', which is not a region the policy declares; expected one of: {declared}.");
            }
        }
    }
}
