using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Tests.Policy;

/// <summary>
/// Section 4 of the policy ("How We Use Information") lists what information is used for. Each use
/// must exist in the default policy as a purpose with its clause and basis, and the gate must treat
/// it accordingly: necessary purposes run without consent, the others only with it.
/// </summary>
public sealed class PurposesTests
{
    private static readonly CompiledPolicy Policy = CompiledPolicy.Compile(PolicyLoader.LoadDefault());

    [Fact]
    [Trait("Clause", "S4.1")]
    public void Purposes_ProvidingTheService_IsNecessary()
    {
        AssertNecessary("essential.service", "S4.1", LegalBasis.Necessary);
    }

    [Fact]
    [Trait("Clause", "S4.2")]
    public void Purposes_VerificationSupportSecurityFraudAndBackup_AreEachTheirOwnNecessaryPurpose()
    {
        AssertNecessary("essential.service.authentication", "S4.2", LegalBasis.Necessary);
        AssertNecessary("essential.service.operations.support", "S4.2", LegalBasis.Necessary);
        AssertNecessary("essential.service.security", "S4.2", LegalBasis.Necessary);
        AssertNecessary("essential.fraud_detection", "S4.2", LegalBasis.Necessary);
        AssertNecessary("essential.service.operations.backup", "S4.2", LegalBasis.LegalObligation);

        var keys = new[]
        {
            "essential.service.authentication", "essential.service.operations.support", "essential.service.security",
            "essential.fraud_detection", "essential.service.operations.backup",
        };
        Assert.Equal(keys.Length, keys.Select(Policy.Purpose).Distinct().Count());
    }

    [Fact]
    [Trait("Clause", "S4.3")]
    public void Purposes_ServiceImprovement_NeedsConsent()
    {
        AssertNeedsConsent("functional.service.improve", "S4.3");
    }

    [Fact]
    [Trait("Clause", "S4.4")]
    public void Purposes_UsageAnalyticsAndPersonalization_NeedConsentAndCanBeTurnedOff()
    {
        AssertNeedsConsent("analytics.reporting", "S4.4");
        AssertNeedsConsent("personalize", "S4.4");
    }

    [Fact]
    [Trait("Clause", "S4.5")]
    public void Purposes_PersonalizedAdvertising_NeedsConsentAndIsNeverOfferedToMinors()
    {
        AssertNeedsConsent("marketing.advertising.profiling", "S4.5");
        Assert.Contains("marketing.advertising.profiling", Policy.Document.Minors.ExcludedPurposes);
    }

    [Fact]
    [Trait("Clause", "S4.6")]
    public void Purposes_AdvertisingMeasurement_NeedsConsentAndUsesNoIdentifyingCategory()
    {
        AssertNeedsConsent("analytics.reporting.ad_performance", "S4.6");

        // Measurement is aggregate only, so it must not be able to read anything that names a person.
        var purpose = Policy[Policy.Purpose("analytics.reporting.ad_performance")];
        Assert.All(purpose.Categories, key => Assert.False(Policy[Policy.Category(key)].IdentifiesDirectly, key));
    }

    [Fact]
    [Trait("Clause", "S4.7")]
    public void Purposes_SoftwareAuthenticationAndUpgrades_IsNecessary()
    {
        AssertNecessary("essential.service.upgrades", "S4.7", LegalBasis.Necessary);
    }

    [Fact]
    [Trait("Clause", "S4.8")]
    public void Purposes_Surveys_OnlyForSubjectsWhoOptedIn()
    {
        AssertNeedsConsent("functional.service.surveys", "S4.8");
        Assert.Contains("user.contact.email", Policy[Policy.Purpose("functional.service.surveys")].Categories);
    }

    [Fact]
    [Trait("Clause", "S4.9")]
    [Trait("Clause", "S0.1")]
    public void Purposes_EveryDeclaredPurpose_IsAUseThePublishedTextNames()
    {
        // Section 4 lists the uses; location-based services are promised in section 1 (S1.3).
        // A purpose with any other clause would be a use the published text does not mention.
        string[] useClauses = ["S1.3", "S4.1", "S4.2", "S4.3", "S4.4", "S4.5", "S4.6", "S4.7", "S4.8"];

        Assert.All(Policy.Purposes, purpose => Assert.Contains(purpose.Clause, useClauses));
    }

    [Fact]
    [Trait("Clause", "S4.9")]
    public void Compile_MoreThan64Purposes_IsRefused()
    {
        var document = WithPurposeCount(PolicyLoader.LoadDefault(), CompiledPolicy.MaxPurposes + 1);

        var error = Assert.Throws<ArgumentException>(() => CompiledPolicy.Compile(document));
        Assert.Contains("64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Clause", "S4.4")]
    public void Compile_Exactly64Purposes_GatesTheLastPurposeOnItsOwnConsentBit()
    {
        var policy = CompiledPolicy.Compile(WithPurposeCount(PolicyLoader.LoadDefault(), CompiledPolicy.MaxPurposes));
        var last = policy.Purpose("test.extra.63");
        var category = policy.Category("user.contact.email");

        Assert.Equal(63, last.Value);
        Assert.Equal(DecisionReason.NotConsented, policy.Decide(policy.Subject(new ConsentSet(~0UL >> 1)), category, last).Reason);
        Assert.Equal(DecisionReason.Consented, policy.Decide(policy.Subject(ConsentSet.None.With(last)), category, last).Reason);
    }

    private static PolicyDocument WithPurposeCount(PolicyDocument document, int count)
    {
        var survey = document.Purposes.Single(p => p.Key == "functional.service.surveys");
        var extra = Enumerable.Range(document.Purposes.Length, count - document.Purposes.Length)
            .Select(i => survey with { Key = $"test.extra.{i}" });
        return document with { Purposes = [.. document.Purposes, .. extra] };
    }

    private static void AssertNecessary(string key, string clause, LegalBasis basis)
    {
        var id = Policy.Purpose(key);
        Assert.NotEqual(PurposeId.Undeclared, id);
        var purpose = Policy[id];
        Assert.Equal(clause, purpose.Clause);
        Assert.Equal(basis, purpose.Basis);
        Assert.False(purpose.Optional);
        Assert.NotEmpty(purpose.Categories);

        var expected = basis == LegalBasis.LegalObligation ? DecisionReason.LegalObligation : DecisionReason.Necessary;
        var withoutConsent = Policy.Subject(ConsentSet.None);
        foreach (var category in purpose.Categories)
        {
            var decision = Policy.Decide(withoutConsent, Policy.Category(category), id);
            Assert.Equal(new PurposeDecision(true, expected, clause, "1.0.0"), decision);
        }
    }

    private static void AssertNeedsConsent(string key, string clause)
    {
        var id = Policy.Purpose(key);
        Assert.NotEqual(PurposeId.Undeclared, id);
        var purpose = Policy[id];
        Assert.Equal(clause, purpose.Clause);
        Assert.Equal(LegalBasis.Consent, purpose.Basis);
        Assert.True(purpose.Optional);
        Assert.NotEmpty(purpose.Categories);

        // Consent to every other purpose must not stand in for consent to this one.
        var everythingElse = Policy.Subject(new ConsentSet(~0UL).Without(id));
        var consented = Policy.Subject(ConsentSet.None.With(id));
        foreach (var category in purpose.Categories)
        {
            var categoryId = Policy.Category(category);
            Assert.Equal(new PurposeDecision(false, DecisionReason.NotConsented, clause, "1.0.0"), Policy.Decide(everythingElse, categoryId, id));
            Assert.Equal(new PurposeDecision(true, DecisionReason.Consented, clause, "1.0.0"), Policy.Decide(consented, categoryId, id));
        }
    }
}
