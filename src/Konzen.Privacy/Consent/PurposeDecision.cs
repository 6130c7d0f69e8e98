namespace Konzen.Privacy.Consent;

/// <summary>Why the purpose gate allowed or denied a use.</summary>
public enum DecisionReason : byte
{
    /// <summary>The policy does not declare this purpose, category, or this purpose's use of the category.</summary>
    NotDeclared,

    /// <summary>Necessary for the service the subject asked for.</summary>
    Necessary,

    /// <summary>Required by law.</summary>
    LegalObligation,

    /// <summary>The subject consented to the purpose.</summary>
    Consented,

    /// <summary>The purpose needs consent the subject has not given.</summary>
    NotConsented,

    /// <summary>The purpose is not offered to minors at all.</summary>
    MinorRestricted,

    /// <summary>The subject is a minor and a verified guardian has not consented yet.</summary>
    GuardianConsentRequired,

    /// <summary>The subject's data lives in a region the policy does not process data in.</summary>
    RegionNotAllowed,
}

/// <summary>
/// The answer of the purpose gate. Fails closed: <c>default</c> is a denial for an undeclared use.
/// </summary>
/// <param name="Allowed">Whether the use may go ahead.</param>
/// <param name="Reason">Why.</param>
/// <param name="Clause">The clause of the policy that decided, for example S4.5.</param>
/// <param name="PolicyVersion">The version of the policy that decided.</param>
public readonly record struct PurposeDecision(bool Allowed, DecisionReason Reason, string Clause, string PolicyVersion);
