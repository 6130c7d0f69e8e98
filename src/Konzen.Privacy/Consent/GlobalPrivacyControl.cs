using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Consent;

/// <summary>
/// The Global Privacy Control signal (<c>Sec-GPC: 1</c>): a refusal of advertising and of sharing for
/// the request that carries it and for its visitor. Which purposes that covers comes from the policy:
/// every purpose for which some recipient class receives data.
/// </summary>
public sealed class GlobalPrivacyControl
{
    public GlobalPrivacyControl(CompiledPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var refused = ConsentSet.None;
        foreach (var key in policy.Document.Sharing.Recipients.SelectMany(r => r.Purposes).Distinct(StringComparer.Ordinal))
        {
            refused = refused.With(policy.Purpose(key));
        }

        Refused = refused;
        RefusedKeys = [.. policy.Purposes.Where(p => refused.Contains(policy.Purpose(p.Key))).Select(p => p.Key)];
    }

    /// <summary>The purposes the signal refuses.</summary>
    public ConsentSet Refused { get; }

    /// <summary>Their keys, in policy order.</summary>
    public IReadOnlyList<string> RefusedKeys { get; }

    /// <summary>The subject's state with the refused purposes taken out.</summary>
    public SubjectState Apply(in SubjectState state) => state with { Consents = new ConsentSet(state.Consents.Bits & ~Refused.Bits) };
}
