using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Konzen.Privacy.Policy;

/// <summary>A language the policy is published in.</summary>
public enum PolicyLanguage
{
    /// <summary>English, tag <c>en</c>.</summary>
    En,

    /// <summary>Simplified Chinese, tag <c>zh-CN</c>.</summary>
    ZhCn,
}

/// <summary>The language tags used on the wire and in policy files.</summary>
public static class PolicyLanguages
{
    public static IReadOnlyList<PolicyLanguage> All { get; } = [PolicyLanguage.En, PolicyLanguage.ZhCn];

    /// <summary>The BCP 47 tag: <c>en</c> or <c>zh-CN</c>.</summary>
    public static string Tag(this PolicyLanguage language) => language == PolicyLanguage.ZhCn ? "zh-CN" : "en";

    /// <summary>Parses <c>en</c> or <c>zh-CN</c> (case-insensitive).</summary>
    public static bool TryParse(string? tag, out PolicyLanguage language)
    {
        language = PolicyLanguage.En;
        if (string.Equals(tag, "en", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (string.Equals(tag, "zh-CN", StringComparison.OrdinalIgnoreCase))
        {
            language = PolicyLanguage.ZhCn;
            return true;
        }

        return false;
    }
}

/// <summary>Text given in every language the policy is published in.</summary>
public sealed record LocalizedText(string En, [property: JsonPropertyName("zh-CN")] string ZhCn)
{
    public string this[PolicyLanguage language] => language == PolicyLanguage.ZhCn ? ZhCn : En;
}

/// <summary>The legal basis a purpose relies on.</summary>
public enum LegalBasis
{
    /// <summary>Necessary to provide the service the subject asked for.</summary>
    Necessary,

    /// <summary>The subject's consent, which can be withdrawn.</summary>
    Consent,

    /// <summary>Required by law.</summary>
    LegalObligation,
}

/// <summary>How sensitive a data category is.</summary>
public enum Sensitivity
{
    Personal,
    Sensitive,
}

/// <summary>When a data category is collected.</summary>
public enum CollectionCondition
{
    /// <summary>Given by the subject at registration or while using the service.</summary>
    Registration,

    /// <summary>Set by the subject in the account or privacy center.</summary>
    Account,

    /// <summary>Only while device positioning is on and location-based services are used.</summary>
    Positioning,

    /// <summary>Through cookies and identifiers, as the subject's cookie choices allow.</summary>
    Cookies,

    /// <summary>Sent by every connection, kept for security.</summary>
    Automatic,

    /// <summary>Derived from other information held, never collected on its own.</summary>
    Derived,
}

/// <summary>What a recipient class may receive.</summary>
public enum RecipientData
{
    /// <summary>Only data that does not identify anyone.</summary>
    DeIdentified,
}

/// <summary>A kind of policy change that needs fresh consent, not just notice.</summary>
public enum MaterialChange
{
    NewPurpose,
    NewCategory,
    NewRecipient,
    LongerRetention,
    CrossBorderTransfer,
}

/// <summary>A policy version: its number, the day it takes effect and the hash of its content.</summary>
/// <param name="Number">Semantic version, for example <c>1.2.0</c>.</param>
/// <param name="Effective">The day the version takes effect.</param>
/// <param name="ContentHash">Lower-case hex SHA-256 of the canonical form of the policy.</param>
public sealed record PolicyVersion(string Number, DateOnly Effective, string ContentHash);

/// <summary>The whole privacy policy as data, as loaded from a policy file.</summary>
public sealed record PolicyDocument(
    PolicyVersion Version,
    Controller Controller,
    ImmutableArray<Region> Regions,
    ImmutableArray<Store> Stores,
    Registration Registration,
    ImmutableArray<DataCategory> Categories,
    ImmutableArray<Purpose> Purposes,
    Sharing Sharing,
    ImmutableArray<CrossBorderTransfer> CrossBorderTransfers,
    Rights Rights,
    Minors Minors,
    Security Security,
    Changes Changes,
    Cessation Cessation);

public sealed record Controller(LocalizedText Name, LocalizedText Service, string Region, ImmutableArray<ContactChannel> Contact);

/// <summary>A way to reach the controller (S0.4).</summary>
/// <param name="Kind">email, web, phone or post.</param>
public sealed record ContactChannel(string Id, string Kind, string Address);

public sealed record Region(string Id, LocalizedText Name);

public sealed record Store(string Id, LocalizedText Name);

/// <summary>What registration needs (S1.1): at least one of these categories, verified.</summary>
public sealed record Registration(ImmutableArray<string> RequiresOneOf);

public sealed record DataCategory(
    string Key,
    string Clause,
    LocalizedText Name,
    Sensitivity Sensitivity,
    bool IdentifiesDirectly,
    CollectionCondition Collected,
    ImmutableArray<string> Sources,
    ImmutableArray<string> Stores,
    RetentionPeriod Retention,
    string Region);

public sealed record Purpose(
    string Key,
    string Clause,
    LocalizedText Name,
    LocalizedText Description,
    LegalBasis Basis,
    bool Optional,
    ImmutableArray<string> Categories);

public sealed record Sharing(
    ImmutableArray<RecipientClass> Recipients,
    int KAnonymity,
    string IdentifyingData,
    ImmutableArray<string> PublicDisclosureNotice,
    bool MergerNotify,
    bool MergerSameProtection,
    ImmutableArray<LegalExceptionBasis> LegalExceptions);

public sealed record RecipientClass(
    string Key,
    string Clause,
    LocalizedText Name,
    RecipientData Receives,
    ImmutableArray<string> Agreements,
    ImmutableArray<string> Purposes,
    ImmutableArray<string> Categories);

/// <summary>One of the circumstances in which data may be shared without consent (S5.6).</summary>
public sealed record LegalExceptionBasis(string Id, LocalizedText Name);

/// <summary>A declared transfer out of the subject's region (S2.4).</summary>
/// <param name="Id">A stable id (lower-case letters, digits, hyphens) that names the transfer in consents and URLs.</param>
public sealed record CrossBorderTransfer(
    string Id,
    string ToRegion,
    string Recipient,
    ImmutableArray<string> Purposes,
    ImmutableArray<string> Categories,
    LocalizedText SecurityMeasures,
    LocalizedText Risks);

public sealed record Rights(int ResponseWorkingDays, int CancellationCoolingOffDays, ImmutableArray<Right> List);

public sealed record Right(string Id, string Clause, LocalizedText Name);

/// <summary>The rules for minors (S8.1).</summary>
/// <param name="ExcludedPurposes">Optional purposes that are off and not offered below the adult age.</param>
/// <param name="ChildBeforeGuardianConsent">Purposes that may run for a child before a guardian has consented.</param>
public sealed record Minors(int AdultAge, int ChildAge, ImmutableArray<string> ExcludedPurposes, ImmutableArray<string> ChildBeforeGuardianConsent);

public sealed record Security(string AtRest, string InTransit);

public sealed record Changes(int NoticeDays, ImmutableArray<MaterialChange> Material);

public sealed record Cessation(int DeletionWithinDays);
