namespace Konzen.Privacy.Policy;

/// <summary>A data category's dense index in a <see cref="CompiledPolicy"/>; <see cref="Undeclared"/> for an unknown key.</summary>
public readonly record struct CategoryId(int Value)
{
    public static CategoryId Undeclared { get; } = new(-1);
}

/// <summary>A purpose's dense index in a <see cref="CompiledPolicy"/>; <see cref="Undeclared"/> for an unknown key.</summary>
public readonly record struct PurposeId(int Value)
{
    public static PurposeId Undeclared { get; } = new(-1);
}

/// <summary>A region's dense index in a <see cref="CompiledPolicy"/>; <see cref="Undeclared"/> for an unknown id.</summary>
public readonly record struct RegionId(int Value)
{
    public static RegionId Undeclared { get; } = new(-1);
}
