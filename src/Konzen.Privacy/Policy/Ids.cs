namespace Konzen.Privacy.Policy;

// The ids keep their index one above the dense index, so that default(...) is Undeclared: a field,
// array element or SubjectState that was never resolved from a key fails closed instead of naming
// the first category, purpose or region of the policy.

/// <summary>
/// A data category's dense index in a <see cref="CompiledPolicy"/>; <see cref="Undeclared"/> (also
/// <c>default</c>) for an unknown key.
/// </summary>
public readonly record struct CategoryId
{
    private readonly int indexPlusOne;

    /// <summary>The id of the category at <paramref name="value"/>; any negative value is <see cref="Undeclared"/>.</summary>
    public CategoryId(int value) => indexPlusOne = value < 0 ? 0 : value + 1;

    public static CategoryId Undeclared => default;

    /// <summary>The dense index, or -1 for <see cref="Undeclared"/>.</summary>
    public int Value => indexPlusOne - 1;
}

/// <summary>
/// A purpose's dense index in a <see cref="CompiledPolicy"/>; <see cref="Undeclared"/> (also
/// <c>default</c>) for an unknown key.
/// </summary>
public readonly record struct PurposeId
{
    private readonly int indexPlusOne;

    /// <summary>The id of the purpose at <paramref name="value"/>; any negative value is <see cref="Undeclared"/>.</summary>
    public PurposeId(int value) => indexPlusOne = value < 0 ? 0 : value + 1;

    public static PurposeId Undeclared => default;

    /// <summary>The dense index, or -1 for <see cref="Undeclared"/>.</summary>
    public int Value => indexPlusOne - 1;
}

/// <summary>
/// A region's dense index in a <see cref="CompiledPolicy"/>; <see cref="Undeclared"/> (also
/// <c>default</c>) for an unknown id.
/// </summary>
public readonly record struct RegionId
{
    private readonly int indexPlusOne;

    /// <summary>The id of the region at <paramref name="value"/>; any negative value is <see cref="Undeclared"/>.</summary>
    public RegionId(int value) => indexPlusOne = value < 0 ? 0 : value + 1;

    public static RegionId Undeclared => default;

    /// <summary>The dense index, or -1 for <see cref="Undeclared"/>.</summary>
    public int Value => indexPlusOne - 1;
}
