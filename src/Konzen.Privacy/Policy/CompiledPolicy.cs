using System.Collections.Frozen;
using System.Collections.Immutable;
using Konzen.Privacy.Consent;

namespace Konzen.Privacy.Policy;

/// <summary>
/// A policy compiled for enforcement: categories, purposes and regions get dense ids, and every
/// (purpose, category) pair becomes one cell of a decision table. Callers resolve keys to ids once
/// and then ask <see cref="Decide"/>, which reads two small arrays and allocates nothing.
/// Immutable and safe to share between threads.
/// </summary>
public sealed class CompiledPolicy
{
    /// <summary>The consent bitset is one <see cref="ulong"/>, so a policy can declare at most 64 purposes.</summary>
    public const int MaxPurposes = 64;

    private const string UndeclaredClause = "S4.9";
    private const string RegionClause = "S2.3";
    private const string MinorsClause = "S8.1";

    private readonly int categoryCount;
    private readonly bool[] uses;
    private readonly PurposeRule[] rules;
    private readonly ulong regionMask;
    private readonly PurposeDecision notDeclared;
    private readonly PurposeDecision regionNotAllowed;
    private readonly FrozenDictionary<string, int> categoryIds;
    private readonly FrozenDictionary<string, int> purposeIds;
    private readonly FrozenDictionary<string, int> regionIds;

    private CompiledPolicy(PolicyDocument document)
    {
        Document = document;
        categoryIds = Index(document.Categories.Select(c => c.Key));
        purposeIds = Index(document.Purposes.Select(p => p.Key));
        regionIds = Index(document.Regions.Select(r => r.Id));
        if (document.Purposes.Length > MaxPurposes || document.Regions.Length > 64)
        {
            throw new ArgumentException($"A policy can declare at most {MaxPurposes} purposes and 64 regions.", nameof(document));
        }

        var version = document.Version.Number;
        notDeclared = new PurposeDecision(false, DecisionReason.NotDeclared, UndeclaredClause, version);
        regionNotAllowed = new PurposeDecision(false, DecisionReason.RegionNotAllowed, RegionClause, version);
        // A controller region the policy does not declare leaves the mask empty: every subject is refused.
        HomeRegion = Region(document.Controller.Region);
        regionMask = HomeRegion == RegionId.Undeclared ? 0 : 1UL << HomeRegion.Value;

        categoryCount = document.Categories.Length;
        uses = new bool[document.Purposes.Length * categoryCount];
        rules = new PurposeRule[document.Purposes.Length];
        var excluded = document.Minors.ExcludedPurposes.ToHashSet(StringComparer.Ordinal);
        var beforeGuardian = document.Minors.ChildBeforeGuardianConsent.ToHashSet(StringComparer.Ordinal);
        for (var p = 0; p < document.Purposes.Length; p++)
        {
            var purpose = document.Purposes[p];
            foreach (var category in purpose.Categories)
            {
                uses[(p * categoryCount) + categoryIds[category]] = true;
            }

            rules[p] = new PurposeRule(purpose, version, excluded.Contains(purpose.Key), beforeGuardian.Contains(purpose.Key));
        }
    }

    /// <summary>The policy this was compiled from.</summary>
    public PolicyDocument Document { get; }

    public PolicyVersion Version => Document.Version;

    /// <summary>The region the controller processes data in; subjects homed elsewhere are refused.</summary>
    public RegionId HomeRegion { get; }

    public static CompiledPolicy Compile(PolicyDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return new CompiledPolicy(document);
    }

    /// <summary>The id of a category key, or <see cref="CategoryId.Undeclared"/>, which every decision denies.</summary>
    public CategoryId Category(string key) => categoryIds.TryGetValue(key, out var id) ? new CategoryId(id) : CategoryId.Undeclared;

    /// <summary>The id of a purpose key, or <see cref="PurposeId.Undeclared"/>, which every decision denies.</summary>
    public PurposeId Purpose(string key) => purposeIds.TryGetValue(key, out var id) ? new PurposeId(id) : PurposeId.Undeclared;

    /// <summary>The id of a region, or <see cref="RegionId.Undeclared"/>.</summary>
    public RegionId Region(string id) => regionIds.TryGetValue(id, out var index) ? new RegionId(index) : RegionId.Undeclared;

    public DataCategory this[CategoryId id] => Document.Categories[id.Value];

    public Purpose this[PurposeId id] => Document.Purposes[id.Value];

    public ImmutableArray<DataCategory> Categories => Document.Categories;

    public ImmutableArray<Purpose> Purposes => Document.Purposes;

    /// <summary>A subject homed in the controller's region with the given consents and flags.</summary>
    public SubjectState Subject(ConsentSet consents = default, SubjectTraits traits = SubjectTraits.None) => new(consents, traits, HomeRegion);

    /// <summary>
    /// May <paramref name="purpose"/> use <paramref name="category"/> of this subject now? Denied unless
    /// the policy declares the use and its basis holds for this subject.
    /// </summary>
    public PurposeDecision Decide(in SubjectState subject, CategoryId category, PurposeId purpose)
    {
        var p = (uint)purpose.Value;
        var c = (uint)category.Value;
        if (p >= (uint)rules.Length || c >= (uint)categoryCount || !uses[(p * (uint)categoryCount) + c])
        {
            return notDeclared;
        }

        var region = (uint)subject.Region.Value;
        if (region >= 64 || (regionMask & (1UL << (int)region)) == 0)
        {
            return regionNotAllowed;
        }

        ref readonly var rule = ref rules[p];
        var flags = subject.Traits;
        if ((flags & (SubjectTraits.Minor | SubjectTraits.Child)) != 0)
        {
            // Exclusion comes first and holds whatever the basis: no consent, the minor's or a
            // guardian's, makes an excluded purpose available, so asking for a guardian would mislead.
            if (rule.MinorExcluded)
            {
                return rule.MinorRestricted;
            }

            if ((flags & SubjectTraits.GuardianConsent) == 0
                && (rule.NeedsConsent || ((flags & SubjectTraits.Child) != 0 && !rule.ChildBeforeGuardianConsent)))
            {
                return rule.GuardianConsentRequired;
            }
        }

        if (!rule.NeedsConsent)
        {
            return rule.Allowed;
        }

        return (subject.Consents.Bits & (1UL << (int)p)) != 0 ? rule.Consented : rule.NotConsented;
    }

    private static FrozenDictionary<string, int> Index(IEnumerable<string> keys) =>
        keys.Select((key, index) => KeyValuePair.Create(key, index)).ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Everything the gate needs about one purpose, with its possible answers made in advance.</summary>
    private readonly struct PurposeRule
    {
        public PurposeRule(Purpose purpose, string version, bool minorExcluded, bool childBeforeGuardianConsent)
        {
            // A purpose the subject can turn off runs only while they have it on, whatever basis the
            // policy names; the loader already refuses consent-based purposes that are not optional.
            NeedsConsent = purpose.Basis == LegalBasis.Consent || purpose.Optional;
            MinorExcluded = minorExcluded;
            ChildBeforeGuardianConsent = childBeforeGuardianConsent;
            Allowed = new PurposeDecision(true, purpose.Basis == LegalBasis.LegalObligation ? DecisionReason.LegalObligation : DecisionReason.Necessary, purpose.Clause, version);
            Consented = new PurposeDecision(true, DecisionReason.Consented, purpose.Clause, version);
            NotConsented = new PurposeDecision(false, DecisionReason.NotConsented, purpose.Clause, version);
            MinorRestricted = new PurposeDecision(false, DecisionReason.MinorRestricted, MinorsClause, version);
            GuardianConsentRequired = new PurposeDecision(false, DecisionReason.GuardianConsentRequired, MinorsClause, version);
        }

        public bool NeedsConsent { get; }

        public bool MinorExcluded { get; }

        public bool ChildBeforeGuardianConsent { get; }

        public PurposeDecision Allowed { get; }

        public PurposeDecision Consented { get; }

        public PurposeDecision NotConsented { get; }

        public PurposeDecision MinorRestricted { get; }

        public PurposeDecision GuardianConsentRequired { get; }
    }
}
