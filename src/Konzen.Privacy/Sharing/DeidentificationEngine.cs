using System.Numerics;
using System.Runtime.InteropServices;

namespace Konzen.Privacy.Sharing;

/// <summary>
/// What de-identification reached: the k enforced, the rows it was given, how many it suppressed, the
/// information loss (see <see cref="DeidentificationEngine"/>) and the generalization level chosen for
/// each quasi-identifier, in the order they were given.
/// </summary>
public sealed record DeidentificationResult(int K, int Rows, int Suppressed, double InformationLoss, IReadOnlyList<int> Levels);

/// <summary>The engine's answer: the result and, row by row, whether the row is kept.</summary>
public sealed class DeidentificationPlan(DeidentificationResult result, bool[] kept)
{
    public DeidentificationResult Result { get; } = result;

    /// <summary>Whether row <paramref name="row"/> is released (its class has at least k owners).</summary>
    public bool Keeps(int row) => kept[row];
}

/// <summary>
/// k-anonymity by full-domain generalization and suppression (S5.2). Every quasi-identifier has a
/// hierarchy (<see cref="QuasiIdentifier"/>); a lattice node picks one level per quasi-identifier. A
/// node satisfies k when the rows of classes with fewer than k distinct owners (subjects) are at most
/// the allowed share of all rows; those rows are then suppressed. Counting owners rather than rows
/// matters: ten events of one person in a class are still one person, and an attacker who finds that
/// class has found the person.
/// </summary>
/// <remarks>
/// <para>Information loss, in [0, 1]: <c>s + (1 − s) · mean(hᵢ / Hᵢ)</c>, where <c>s</c> is the share
/// of rows suppressed, <c>hᵢ</c> the level chosen for quasi-identifier i and <c>Hᵢ</c> its top level.
/// 0 means every row released at full precision, 1 means nothing released (or only <c>*</c>).</para>
/// <para>Search: satisfying k with suppression is monotone (a node above a satisfying node satisfies,
/// since its classes are unions of the lower classes), and the loss is at least the mean normalized
/// height <c>g</c>. Nodes are visited in ascending <c>g</c>; the search stops at the first node whose
/// <c>g</c> is no better than the best loss found, and skips every node below one already seen to fail
/// (predictive tagging). Each evaluation is one pass over the rows deduplicated per owner, packed into
/// a 64-bit key per row, counted in a hash table; a pass gives up as soon as there are more classes
/// than a satisfying node could have. Nodes are counted two at a time on two cores; a count is used only
/// where the search in order would have made it, so the answer is the same.</para>
/// </remarks>
public static class DeidentificationEngine
{
    /// <summary>
    /// Finds the generalization of least loss that makes every released class hold at least
    /// <paramref name="k"/> distinct owners, suppressing at most <paramref name="maxSuppression"/> of the rows.
    /// </summary>
    /// <param name="quasiIdentifiers">The hierarchies, one per column.</param>
    /// <param name="columns">Per quasi-identifier, the base code of every row (all the same length).</param>
    /// <param name="owners">Per row, the index of the subject it belongs to; null when every row is its own subject.</param>
    /// <param name="k">The least number of distinct owners in a released class.</param>
    /// <param name="maxSuppression">The largest share of rows that may be suppressed, 0 to 1.</param>
    public static DeidentificationPlan Solve(
        IReadOnlyList<QuasiIdentifier> quasiIdentifiers, IReadOnlyList<int[]> columns, int[]? owners, int k, double maxSuppression)
    {
        ArgumentNullException.ThrowIfNull(quasiIdentifiers);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxSuppression);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxSuppression, 1);
        if (quasiIdentifiers.Count == 0 || columns.Count != quasiIdentifiers.Count)
        {
            throw new ArgumentException("One column of base codes per quasi-identifier, and at least one.", nameof(columns));
        }

        var rows = columns[0].Length;
        if (columns.Any(c => c.Length != rows) || (owners is not null && owners.Length != rows))
        {
            throw new ArgumentException("Every column, and the owners, must have one entry per row.", nameof(columns));
        }

        var table = new Table(quasiIdentifiers, columns, owners);
        var budget = (int)Math.Floor(maxSuppression * rows);
        var nodes = Nodes(quasiIdentifiers);
        var failing = new List<int[]>();
        int[]? best = null;
        var bestLoss = double.PositiveInfinity;
        // Two nodes at a time, one per core: the second is counted while the first is, and its count is used
        // only where the search in order would have counted it (not below a node the first showed to fail,
        // not at or above the best loss the first found), so the answer is the one-at-a-time answer.
        var next = 0;
        var results = new int[2];
        var pending = new List<(int[] Node, double Height)>(2);
        var done = false;
        while (!done)
        {
            pending.Clear();
            while (next < nodes.Count && pending.Count < 2 && nodes[next].Height < bestLoss)
            {
                var candidate = nodes[next++];
                if (!failing.Any(f => Below(candidate.Node, f)))
                {
                    pending.Add(candidate);
                }
            }

            if (pending.Count == 0)
            {
                break;
            }

            if (pending.Count == 2)
            {
                Parallel.Invoke(
                    () => results[0] = table.Suppressed(pending[0].Node, k, budget, 0),
                    () => results[1] = table.Suppressed(pending[1].Node, k, budget, 1));
            }
            else
            {
                results[0] = table.Suppressed(pending[0].Node, k, budget, 0);
            }

            for (var p = 0; p < pending.Count; p++)
            {
                var (node, height) = pending[p];
                if (height >= bestLoss)
                {
                    done = true;
                    break;
                }

                if (failing.Any(f => Below(node, f)))
                {
                    continue;
                }

                var suppressed = results[p];
                if (suppressed > budget)
                {
                    failing.Add(node);
                    continue;
                }

                var share = rows == 0 ? 0 : (double)suppressed / rows;
                var loss = share + ((1 - share) * height);
                if (loss < bestLoss)
                {
                    bestLoss = loss;
                    best = node;
                }
            }
        }

        if (best is null)
        {
            // Not even one class of everyone reaches k within the budget: release nothing.
            var top = quasiIdentifiers.Select(q => q.Top).ToArray();
            return new DeidentificationPlan(new DeidentificationResult(k, rows, rows, 1, top), new bool[rows]);
        }

        var kept = table.Kept(best, k);
        var released = kept.Count(x => x);
        return new DeidentificationPlan(new DeidentificationResult(k, rows, rows - released, rows == 0 ? 0 : bestLoss, best), kept);
    }

    /// <summary>The mean normalized height of a node: the loss of releasing every row at those levels.</summary>
    public static double Height(IReadOnlyList<QuasiIdentifier> quasiIdentifiers, IReadOnlyList<int> levels)
    {
        ArgumentNullException.ThrowIfNull(quasiIdentifiers);
        ArgumentNullException.ThrowIfNull(levels);
        var sum = 0.0;
        for (var i = 0; i < quasiIdentifiers.Count; i++)
        {
            sum += (double)levels[i] / quasiIdentifiers[i].Top;
        }

        return sum / quasiIdentifiers.Count;
    }

    // Every node of the lattice with its mean normalized height, lowest first (ties: fewer steps first).
    private static List<(int[] Node, double Height)> Nodes(IReadOnlyList<QuasiIdentifier> quasiIdentifiers)
    {
        var nodes = new List<(int[] Node, double Height)>();
        var node = new int[quasiIdentifiers.Count];
        while (true)
        {
            nodes.Add(((int[])node.Clone(), Height(quasiIdentifiers, node)));
            var i = 0;
            while (i < node.Length && node[i] == quasiIdentifiers[i].Top)
            {
                node[i++] = 0;
            }

            if (i == node.Length)
            {
                break;
            }

            node[i]++;
        }

        return [.. nodes.OrderBy(n => n.Height).ThenBy(n => n.Node.Sum())];
    }

    private static bool Below(int[] node, int[] other)
    {
        for (var i = 0; i < node.Length; i++)
        {
            if (node[i] > other[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A class while counting: the last owner counted (plus one), distinct owners, rows.</summary>
    private struct Counter
    {
        public int LastOwner;
        public int Owners;
        public int Rows;
    }

    /// <summary>
    /// The rows deduplicated per owner: one entry per distinct (owner, base values), with its row count.
    /// An owner's entries are contiguous, so a class counts an owner once by remembering the last one.
    /// </summary>
    private sealed class Table
    {
        private readonly int[][][] maps;
        private readonly int[][] entryCodes;
        private readonly int[] entryOwners;
        private readonly int[] entryRows;
        private readonly int[] rowEntry;
        private readonly int entries;
        // One class table per worker of the search (see Solve).
        private readonly Dictionary<long, Counter>[] classes = [[], []];

        public Table(IReadOnlyList<QuasiIdentifier> quasiIdentifiers, IReadOnlyList<int[]> columns, int[]? owners)
        {
            var q = quasiIdentifiers.Count;
            var rows = columns[0].Length;
            maps = [.. quasiIdentifiers.Select(qi => Enumerable.Range(0, qi.Levels).Select(qi.Map).ToArray())];
            var bits = quasiIdentifiers.Select(qi => Bits(qi.Cardinality(0))).ToArray();
            if (bits.Sum() > 63)
            {
                throw new ArgumentException("The quasi-identifiers have too many distinct values to pack into 64 bits.", nameof(quasiIdentifiers));
            }

            // Rows in owner order (a counting sort), then each owner's packed base keys sorted and collapsed.
            var order = new int[rows];
            int ownerCount;
            if (owners is null)
            {
                ownerCount = rows;
                for (var r = 0; r < rows; r++)
                {
                    order[r] = r;
                }
            }
            else
            {
                ownerCount = owners.Length == 0 ? 0 : owners.Max() + 1;
                var starts = new int[ownerCount + 1];
                foreach (var owner in owners)
                {
                    starts[owner + 1]++;
                }

                for (var o = 0; o < ownerCount; o++)
                {
                    starts[o + 1] += starts[o];
                }

                for (var r = 0; r < rows; r++)
                {
                    order[starts[owners[r]]++] = r;
                }
            }

            var keys = new (long Key, int Row)[rows];
            for (var i = 0; i < rows; i++)
            {
                var r = order[i];
                long key = 0;
                for (var c = 0; c < q; c++)
                {
                    key = (key << bits[c]) | (uint)columns[c][r];
                }

                keys[i] = (key, r);
            }

            entryCodes = new int[q][];
            for (var c = 0; c < q; c++)
            {
                entryCodes[c] = new int[rows];
            }

            entryOwners = new int[rows];
            entryRows = new int[rows];
            rowEntry = new int[rows];
            var start = 0;
            while (start < rows)
            {
                var owner = owners is null ? order[start] : owners[order[start]];
                var end = start + 1;
                while (end < rows && owners is not null && owners[order[end]] == owner)
                {
                    end++;
                }

                var slice = keys.AsSpan(start, end - start);
                slice.Sort((a, b) => a.Key.CompareTo(b.Key));
                for (var i = 0; i < slice.Length; i++)
                {
                    if (i == 0 || slice[i].Key != slice[i - 1].Key)
                    {
                        for (var c = 0; c < q; c++)
                        {
                            entryCodes[c][entries] = columns[c][slice[i].Row];
                        }

                        entryOwners[entries] = owner + 1;
                        entries++;
                    }

                    entryRows[entries - 1]++;
                    rowEntry[slice[i].Row] = entries - 1;
                }

                start = end;
            }
        }

        /// <summary>
        /// How many rows are in classes of fewer than k owners at <paramref name="node"/>; more than
        /// <paramref name="budget"/> (exactly or as soon as it is certain) means the node fails.
        /// </summary>
        public int Suppressed(int[] node, int k, int budget, int worker)
        {
            // A satisfying node has at most entries / k classes of k or more owners, and at most
            // `budget` suppressed classes (each holds a row): more classes and it cannot satisfy.
            var limit = ((long)entries / k) + budget;
            var counted = Count(node, limit, classes[worker]);
            if (counted is null)
            {
                return int.MaxValue;
            }

            var suppressed = 0;
            foreach (var counter in counted.Values)
            {
                if (counter.Owners < k)
                {
                    suppressed += counter.Rows;
                }
            }

            return suppressed;
        }

        public bool[] Kept(int[] node, int k)
        {
            var counted = Count(node, long.MaxValue, classes[0])!;
            var keys = Keys(node);
            var keptEntries = new bool[entries];
            for (var e = 0; e < entries; e++)
            {
                keptEntries[e] = counted[keys(e)].Owners >= k;
            }

            var kept = new bool[rowEntry.Length];
            for (var r = 0; r < kept.Length; r++)
            {
                kept[r] = keptEntries[rowEntry[r]];
            }

            return kept;
        }

        private Dictionary<long, Counter>? Count(int[] node, long limit, Dictionary<long, Counter> counts)
        {
            var keyOf = Keys(node);

            // One table for every pass: cleared, it keeps its buckets, so passes after the first allocate nothing.
            counts.Clear();
            for (var e = 0; e < entries; e++)
            {
                ref var counter = ref CollectionsMarshal.GetValueRefOrAddDefault(counts, keyOf(e), out var exists);
                if (!exists && counts.Count > limit)
                {
                    return null;
                }

                if (counter.LastOwner != entryOwners[e])
                {
                    counter.LastOwner = entryOwners[e];
                    counter.Owners++;
                }

                counter.Rows += entryRows[e];
            }

            return counts;
        }

        // The packed key of an entry at a node: each column's code at its level, in as many bits as that level needs.
        private Func<int, long> Keys(int[] node)
        {
            var q = node.Length;
            var levelMaps = new int[q][];
            var shifts = new int[q];
            for (var c = 0; c < q; c++)
            {
                levelMaps[c] = maps[c][node[c]];
                shifts[c] = Bits(levelMaps[c].Length == 0 ? 1 : levelMaps[c].Max() + 1);
            }

            var codes = entryCodes;
            if (q == 4)
            {
                // The usual case (age, location, time, device) without the inner loop.
                var (m0, m1, m2, m3) = (levelMaps[0], levelMaps[1], levelMaps[2], levelMaps[3]);
                var (c0, c1, c2, c3) = (codes[0], codes[1], codes[2], codes[3]);
                var (s1, s2, s3) = (shifts[1], shifts[2], shifts[3]);
                return e => (((((((long)m0[c0[e]]) << s1) | (uint)m1[c1[e]]) << s2) | (uint)m2[c2[e]]) << s3) | (uint)m3[c3[e]];
            }

            return e =>
            {
                long key = 0;
                for (var c = 0; c < q; c++)
                {
                    key = (key << shifts[c]) | (uint)levelMaps[c][codes[c][e]];
                }

                return key;
            };
        }

        private static int Bits(int cardinality) => Math.Max(1, 32 - BitOperations.LeadingZeroCount((uint)Math.Max(cardinality - 1, 0)));
    }
}
