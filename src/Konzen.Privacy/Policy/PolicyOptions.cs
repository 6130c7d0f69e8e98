namespace Konzen.Privacy.Policy;

/// <summary>Where the policy comes from. Bound from the <c>Policy</c> configuration section.</summary>
public sealed class PolicyOptions
{
    public const string Section = "Policy";

    /// <summary>
    /// Path of the policy file to enforce. Defaults to null: the Konzen policy embedded in the
    /// library, so a fresh checkout runs with no set-up.
    /// </summary>
    public string? File { get; set; }
}

/// <summary>Thrown at start-up when the configured policy file does not load; carries every error found.</summary>
public sealed class PolicyLoadException(IReadOnlyList<PolicyError> errors)
    : Exception("The policy does not load:" + Environment.NewLine + string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<PolicyError> Errors { get; } = errors;
}
