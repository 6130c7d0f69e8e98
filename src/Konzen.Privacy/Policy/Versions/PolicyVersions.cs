using System.Collections.Frozen;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Policy.Versions;

/// <summary>
/// One version of the policy as this node knows it: compiled, with the changes from the version
/// before it. <paramref name="Sequence"/> is 0 for the configured policy before any version was read
/// from the store.
/// </summary>
/// <param name="Sequence">1 for the first version, one more for each publication.</param>
/// <param name="EffectiveAt">When it takes effect.</param>
/// <param name="PublishedAt">When it was published (null before the store was read).</param>
/// <param name="Policy">The compiled policy, its version's effective day the stored one.</param>
/// <param name="Changes">The changes from the version before; empty for the first.</param>
public sealed record PolicyRelease(int Sequence, DateTimeOffset EffectiveAt, DateTimeOffset? PublishedAt, CompiledPolicy Policy, IReadOnlyList<PolicyChange> Changes)
{
    public string Number => Policy.Version.Number;

    public string ContentHash => Policy.Version.ContentHash;

    /// <summary>Whether a change in it needs explicit consent.</summary>
    public bool Material => PolicyDiff.AnyMaterial(Changes);

    /// <summary>
    /// Per optional purpose, the first version whose consent covers it here: a material change in
    /// that version (or later, up to this one) made something new that older consent did not cover.
    /// </summary>
    internal FrozenDictionary<string, int> ConsentSince { get; init; } = FrozenDictionary<string, int>.Empty;
}

/// <summary>
/// The stored policy versions and which one is in force now (S7.1). Every node reads the same rows
/// from the store and picks the version in force from the injected clock, so the switch at the
/// effective date happens by itself on every node, without a restart or a message between nodes.
/// Rows are read at start-up, after each publication on this node and by a periodic refresh (for
/// versions published on another node): a version is published at least the policy's notice period
/// ahead, far longer than the refresh interval, so each node knows it long before it takes effect.
/// </summary>
/// <remarks>
/// Services see the version in force through <see cref="CompiledPolicy"/>, which the container hands
/// out per resolution from <see cref="Current"/>: scoped services (the ledger, the gate's callers, the
/// endpoints) get the version in force when their request or job starts. Nothing caches a compiled
/// policy across versions except a few singletons that read only regions and the controller.
/// </remarks>
public sealed class PolicyVersions
{
    private readonly TimeProvider time;
    private volatile Snapshot snapshot;

    public PolicyVersions(IOptions<PolicyOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.time = time;
        var file = options.Value.File;
        PolicyDocument document;
        if (file is null)
        {
            document = PolicyLoader.LoadDefault();
            ConfiguredYaml = PolicyLoader.ReadDefaultText();
        }
        else
        {
            var result = PolicyLoader.LoadFile(file);
            document = result.Policy ?? throw new PolicyLoadException(result.Errors);
            ConfiguredYaml = File.ReadAllText(file);
        }

        Configured = CompiledPolicy.Compile(document);
        snapshot = new Snapshot([new PolicyRelease(0, DateTimeOffset.MinValue, null, Configured, [])]);
    }

    /// <summary>The policy file this node was configured with; the first version when the store has none yet.</summary>
    public CompiledPolicy Configured { get; }

    /// <summary>The text of the configured policy file, which becomes version 1 on a store without versions.</summary>
    public string ConfiguredYaml { get; }

    /// <summary>Every version this node knows, oldest first (only <see cref="Configured"/> before the store was read).</summary>
    public IReadOnlyList<PolicyRelease> All => snapshot.Releases;

    /// <summary>The version in force now.</summary>
    public PolicyRelease Current => InForceAt(time.GetUtcNow());

    /// <summary>The next version, published but not in force yet, or null.</summary>
    public PolicyRelease? Pending
    {
        get
        {
            var now = time.GetUtcNow();
            return snapshot.Releases.Skip(1).FirstOrDefault(r => r.EffectiveAt > now);
        }
    }

    /// <summary>The version in force at <paramref name="at"/>; the first when none had taken effect yet.</summary>
    public PolicyRelease InForceAt(DateTimeOffset at)
    {
        var releases = snapshot.Releases;
        for (var i = releases.Count - 1; i > 0; i--)
        {
            if (releases[i].EffectiveAt <= at)
            {
                return releases[i];
            }
        }

        return releases[0];
    }

    /// <summary>The version with this content hash, or null.</summary>
    public PolicyRelease? WithHash(string? contentHash) =>
        contentHash is not null && snapshot.ByHash.TryGetValue(contentHash, out var release) ? release : null;

    /// <summary>
    /// Whether consent to <paramref name="purposeKey"/> given under the version with <paramref name="grantedUnder"/>
    /// as its hash still covers the purpose under <paramref name="policy"/> (S7.2): not when a material
    /// change since then made something new for that purpose. A policy this node does not know as a
    /// stored version (tests, the configured file before the store is read) keeps every consent.
    /// </summary>
    public bool Covers(CompiledPolicy policy, string purposeKey, string grantedUnder)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var current = snapshot;
        if (!current.ByHash.TryGetValue(policy.Version.ContentHash, out var release) || !release.ConsentSince.TryGetValue(purposeKey, out var since))
        {
            return true;
        }

        return current.ByHash.TryGetValue(grantedUnder, out var granted) && granted.Sequence >= since;
    }

    /// <summary>Reads the versions stored since the last read; the compiled ones already known are kept.</summary>
    public async Task RefreshAsync(PrivacyDbContext db, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var known = snapshot;
        var last = known.Releases[^1].Sequence;
        var rows = await db.Set<PublishedPolicy>().AsNoTracking().Where(p => p.Sequence > last).OrderBy(p => p.Sequence).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return;
        }

        // The configured policy stands in only until the store's first version is read.
        var releases = known.Releases.Where(r => r.Sequence > 0).ToList();
        foreach (var row in rows)
        {
            var loaded = PolicyLoader.Load(row.Yaml, $"policy version {row.Sequence}");
            var document = loaded.Policy ?? throw new PolicyLoadException(loaded.Errors);

            // The stored effective day is the one the publisher chose; the content hash stays the file's.
            document = document with { Version = document.Version with { Effective = DateOnly.FromDateTime(row.EffectiveAt.UtcDateTime) } };
            var previous = releases.Count == 0 ? null : releases[^1];
            var changes = previous is null ? [] : PolicyDiff.Between(previous.Policy.Document, document);
            releases.Add(new PolicyRelease(row.Sequence, row.EffectiveAt, row.PublishedAt, CompiledPolicy.Compile(document), changes)
            {
                ConsentSince = ConsentSince(previous, row.Sequence, changes),
            });
        }

        snapshot = new Snapshot(releases);
    }

    /// <summary>The midnight (UTC) that starts <paramref name="day"/>: the instant a version of that effective day takes effect.</summary>
    public static DateTimeOffset StartOf(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static FrozenDictionary<string, int> ConsentSince(PolicyRelease? previous, int sequence, IReadOnlyList<PolicyChange> changes)
    {
        var since = new Dictionary<string, int>(previous?.ConsentSince ?? FrozenDictionary<string, int>.Empty, StringComparer.Ordinal);
        foreach (var purpose in changes.Where(c => c.Material).SelectMany(c => c.NeedsConsent))
        {
            since[purpose] = sequence;
        }

        return since.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private sealed class Snapshot
    {
        public Snapshot(List<PolicyRelease> releases)
        {
            Releases = releases;
            ByHash = releases.GroupBy(r => r.ContentHash, StringComparer.Ordinal).ToFrozenDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        }

        public IReadOnlyList<PolicyRelease> Releases { get; }

        public FrozenDictionary<string, PolicyRelease> ByHash { get; }
    }
}
