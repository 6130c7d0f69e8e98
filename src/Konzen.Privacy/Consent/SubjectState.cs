using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Consent;

/// <summary>The optional purposes a subject has consented to, one bit per purpose.</summary>
public readonly record struct ConsentSet(ulong Bits)
{
    public static ConsentSet None => default;

    public bool Contains(PurposeId purpose) => (Bits & Bit(purpose)) != 0;

    public ConsentSet With(PurposeId purpose) => new(Bits | Bit(purpose));

    public ConsentSet Without(PurposeId purpose) => new(Bits & ~Bit(purpose));

    private static ulong Bit(PurposeId purpose) =>
        (uint)purpose.Value < 64 ? 1UL << purpose.Value : throw new ArgumentOutOfRangeException(nameof(purpose), "Not a declared purpose.");
}

/// <summary>What the gate must know about a subject besides consents.</summary>
[Flags]
public enum SubjectTraits : byte
{
    None = 0,

    /// <summary>Below the policy's adult age.</summary>
    Minor = 1,

    /// <summary>Below the policy's child age; all of the child's data is sensitive.</summary>
    Child = 2,

    /// <summary>A verified guardian has consented for this minor.</summary>
    GuardianConsent = 4,
}

/// <summary>A subject as the purpose gate sees it: consents, flags and the region its data lives in.</summary>
public readonly record struct SubjectState(ConsentSet Consents, SubjectTraits Traits, RegionId Region);
