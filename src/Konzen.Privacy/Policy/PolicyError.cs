namespace Konzen.Privacy.Policy;

/// <summary>One problem in a policy file, at the line and column (both 1-based) where it is.</summary>
public sealed record PolicyError(string File, int Line, int Column, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>The outcome of loading a policy file: the policy, or every error found in it.</summary>
public sealed record PolicyLoadResult(PolicyDocument? Policy, IReadOnlyList<PolicyError> Errors)
{
    public bool Succeeded => Policy is not null;
}
