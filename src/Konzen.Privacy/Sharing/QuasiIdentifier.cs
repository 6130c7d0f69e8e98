namespace Konzen.Privacy.Sharing;

/// <summary>
/// One quasi-identifier and its generalization hierarchy: level 0 is the most precise value, the last
/// level is <c>*</c> (everything in one class). Values are small integer codes, one numbering per level,
/// so the engine counts classes over packed integers instead of strings. A base value is added once with
/// its label at every level (<see cref="Add"/>); a label names the same code at its level whichever base
/// value brought it, which makes the hierarchy nested: two values that share a class at one level share
/// it at every level above.
/// </summary>
public sealed class QuasiIdentifier
{
    /// <summary>The label of the top level: the value is withheld.</summary>
    public const string Suppressed = "*";

    private readonly List<int>[] maps;
    private readonly List<string>[] labels;
    private readonly Dictionary<string, int>[] codes;

    /// <param name="name">The column name, for example <c>age</c>.</param>
    /// <param name="levels">How many levels, the base and <c>*</c> included (at least 2).</param>
    public QuasiIdentifier(string name, int levels)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(levels, 2);
        Name = name;
        Levels = levels;
        maps = new List<int>[levels];
        labels = new List<string>[levels];
        codes = new Dictionary<string, int>[levels];
        for (var level = 0; level < levels; level++)
        {
            maps[level] = [];
            labels[level] = [];
            codes[level] = new Dictionary<string, int>(StringComparer.Ordinal);
        }
    }

    public string Name { get; }

    /// <summary>How many levels, the base and the top (<c>*</c>) included.</summary>
    public int Levels { get; }

    /// <summary>The top level, where every value is <c>*</c>.</summary>
    public int Top => Levels - 1;

    /// <summary>How many base values were added.</summary>
    public int Count => maps[0].Count;

    /// <summary>
    /// Adds a base value with its labels at levels 0 to <see cref="Levels"/> − 2 (the top is always
    /// <c>*</c>) and returns its base code. Add each distinct base value once; callers cache the code.
    /// </summary>
    public int Add(ReadOnlySpan<string> path)
    {
        if (path.Length != Levels - 1)
        {
            throw new ArgumentException($"A value of {Name} needs a label for each of its {Levels - 1} levels below the top.", nameof(path));
        }

        var baseCode = maps[0].Count;
        for (var level = 0; level < Levels; level++)
        {
            var label = level < path.Length ? path[level] : Suppressed;
            if (!codes[level].TryGetValue(label, out var code))
            {
                code = labels[level].Count;
                codes[level].Add(label, code);
                labels[level].Add(label);
            }

            maps[level].Add(code);
        }

        return baseCode;
    }

    /// <summary>The label of base value <paramref name="baseCode"/> generalized to <paramref name="level"/>.</summary>
    public string Label(int baseCode, int level) => labels[level][maps[level][baseCode]];

    /// <summary>How many distinct values there are at <paramref name="level"/>.</summary>
    internal int Cardinality(int level) => labels[level].Count;

    /// <summary>Base code to code at <paramref name="level"/>, as an array the engine's hot loop indexes.</summary>
    internal int[] Map(int level) => [.. maps[level]];
}
