using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Tests.Consent;

/// <summary>The purpose gate: every use of personal data is decided here, denied unless the policy allows it.</summary>
public sealed class PurposeGateTests
{
    private const string Version = "1.0.0";

    private static readonly CompiledPolicy Policy = CompiledPolicy.Compile(PolicyLoader.LoadDefault());

    private static readonly PurposeId Service = Policy.Purpose("essential.service");
    private static readonly PurposeId Authentication = Policy.Purpose("essential.service.authentication");
    private static readonly PurposeId Security = Policy.Purpose("essential.service.security");
    private static readonly PurposeId Backup = Policy.Purpose("essential.service.operations.backup");
    private static readonly PurposeId Analytics = Policy.Purpose("analytics.reporting");
    private static readonly PurposeId Advertising = Policy.Purpose("marketing.advertising.profiling");
    private static readonly PurposeId Surveys = Policy.Purpose("functional.service.surveys");

    private static readonly CategoryId Email = Policy.Category("user.contact.email");
    private static readonly CategoryId Device = Policy.Category("user.device");
    private static readonly CategoryId Clicks = Policy.Category("user.behavior.clicks");
    private static readonly CategoryId PreciseLocation = Policy.Category("user.location.precise");
    private static readonly CategoryId CookieId = Policy.Category("user.device.cookie_id");

    private static readonly ConsentSet AllConsents = new(~0UL);

    [Fact]
    [Trait("Clause", "S4.9")]
    public void Decide_UndeclaredPurposeKey_DeniesNotDeclared()
    {
        var purpose = Policy.Purpose("marketing.advertising.third_party");

        var decision = Policy.Decide(Policy.Subject(AllConsents), Email, purpose);

        Assert.Equal(PurposeId.Undeclared, purpose);
        Assert.Equal(new PurposeDecision(false, DecisionReason.NotDeclared, "S4.9", Version), decision);
    }

    [Fact]
    [Trait("Clause", "S4.9")]
    public void Decide_UndeclaredCategoryKey_DeniesNotDeclared()
    {
        var category = Policy.Category("user.financial.bank_account");

        var decision = Policy.Decide(Policy.Subject(AllConsents), category, Service);

        Assert.Equal(CategoryId.Undeclared, category);
        Assert.Equal(new PurposeDecision(false, DecisionReason.NotDeclared, "S4.9", Version), decision);
    }

    [Fact]
    [Trait("Clause", "S4.9")]
    public void Decide_DeclaredPurposeWithCategoryItDoesNotDeclare_DeniesNotDeclared()
    {
        var subject = Policy.Subject(AllConsents);

        // Both keys exist, but neither purpose lists the category: consent to the purpose does not reach it.
        Assert.Equal(new PurposeDecision(false, DecisionReason.NotDeclared, "S4.9", Version), Policy.Decide(subject, PreciseLocation, Surveys));
        Assert.Equal(new PurposeDecision(false, DecisionReason.NotDeclared, "S4.9", Version), Policy.Decide(subject, Email, Advertising));
    }

    [Fact]
    [Trait("Clause", "S4.9")]
    public void Decide_EveryPurposeAndCategoryPair_AllowedOnlyWhereThePolicyDeclaresTheUse()
    {
        var subject = Policy.Subject(AllConsents);

        foreach (var purpose in Policy.Purposes)
        {
            foreach (var category in Policy.Categories)
            {
                var decision = Policy.Decide(subject, Policy.Category(category.Key), Policy.Purpose(purpose.Key));

                var declared = purpose.Categories.Contains(category.Key);
                Assert.True(declared == decision.Allowed, $"{purpose.Key} using {category.Key}: {decision}");
                Assert.Equal(declared ? purpose.Clause : "S4.9", decision.Clause);
            }
        }
    }

    [Fact]
    [Trait("Clause", "S4.9")]
    public void Decide_IdsOutOfRange_DeniesNotDeclared()
    {
        var subject = Policy.Subject(AllConsents);
        var denied = new PurposeDecision(false, DecisionReason.NotDeclared, "S4.9", Version);

        Assert.Equal(denied, Policy.Decide(subject, Email, new PurposeId(Policy.Purposes.Length)));
        Assert.Equal(denied, Policy.Decide(subject, new CategoryId(Policy.Categories.Length), Service));
        Assert.Equal(denied, Policy.Decide(subject, Email, new PurposeId(int.MinValue)));
        Assert.Equal(denied, Policy.Decide(subject, Email, new PurposeId(int.MaxValue)));
        Assert.Equal(denied, Policy.Decide(subject, new CategoryId(-7), Service));
    }

    [Fact]
    [Trait("Clause", "S4.9")]
    public void Decide_WhenIdsWereNeverResolved_Denies()
    {
        // A field or array element that nobody resolved from a key must not name the first
        // purpose or category of the policy: an id that was never set fails closed.
        var decision = Policy.Decide(Policy.Subject(AllConsents), default, default);

        Assert.Equal(CategoryId.Undeclared, default);
        Assert.Equal(PurposeId.Undeclared, default);
        Assert.Equal(new PurposeDecision(false, DecisionReason.NotDeclared, "S4.9", Version), decision);
    }

    [Fact]
    [Trait("Clause", "S0.3")]
    [Trait("Clause", "S4.4")]
    public void Decide_OptionalPurposeWithoutConsent_DeniesNotConsented()
    {
        var decision = Policy.Decide(Policy.Subject(ConsentSet.None), Clicks, Analytics);

        Assert.Equal(new PurposeDecision(false, DecisionReason.NotConsented, "S4.4", Version), decision);
    }

    [Fact]
    [Trait("Clause", "S0.3")]
    [Trait("Clause", "S4.4")]
    public void Decide_OptionalPurposeWithConsent_AllowsConsented()
    {
        var decision = Policy.Decide(Policy.Subject(ConsentSet.None.With(Analytics)), Clicks, Analytics);

        Assert.Equal(new PurposeDecision(true, DecisionReason.Consented, "S4.4", Version), decision);
    }

    [Fact]
    [Trait("Clause", "S4.4")]
    [Trait("Clause", "S6.1")]
    public void Decide_WhenConsentWithdrawn_Denies()
    {
        var consents = ConsentSet.None.With(Analytics).With(Advertising);
        Assert.True(Policy.Decide(Policy.Subject(consents), Clicks, Analytics).Allowed);

        var withdrawn = consents.Without(Analytics);

        Assert.Equal(new PurposeDecision(false, DecisionReason.NotConsented, "S4.4", Version), Policy.Decide(Policy.Subject(withdrawn), Clicks, Analytics));
        Assert.True(Policy.Decide(Policy.Subject(withdrawn), Clicks, Advertising).Allowed);
    }

    [Fact]
    [Trait("Clause", "S4.5")]
    public void Decide_ConsentToAnotherPurpose_DoesNotAllow()
    {
        var decision = Policy.Decide(Policy.Subject(ConsentSet.None.With(Analytics)), Clicks, Advertising);

        Assert.Equal(new PurposeDecision(false, DecisionReason.NotConsented, "S4.5", Version), decision);
    }

    [Fact]
    [Trait("Clause", "S1.1")]
    [Trait("Clause", "S4.1")]
    public void Decide_NecessaryPurposeWithoutAnyConsent_AllowsNecessary()
    {
        var decision = Policy.Decide(Policy.Subject(ConsentSet.None), Email, Service);

        Assert.Equal(new PurposeDecision(true, DecisionReason.Necessary, "S4.1", Version), decision);
    }

    [Fact]
    [Trait("Clause", "S1.1")]
    public void Decide_RefusingEveryOptionalPurpose_NeverBlocksANecessaryOne()
    {
        var subject = Policy.Subject(ConsentSet.None);

        foreach (var purpose in Policy.Purposes.Where(p => !p.Optional))
        {
            foreach (var category in purpose.Categories)
            {
                Assert.True(Policy.Decide(subject, Policy.Category(category), Policy.Purpose(purpose.Key)).Allowed, $"{purpose.Key} using {category}");
            }
        }
    }

    [Fact]
    [Trait("Clause", "S4.2")]
    public void Decide_LegalObligationWithoutConsent_AllowsLegalObligation()
    {
        var decision = Policy.Decide(Policy.Subject(ConsentSet.None), Email, Backup);

        Assert.Equal(new PurposeDecision(true, DecisionReason.LegalObligation, "S4.2", Version), decision);
    }

    [Fact]
    public void Decide_AnyDecision_NamesTheVersionOfThePolicyThatDecided()
    {
        var document = PolicyLoader.LoadDefault();
        var next = CompiledPolicy.Compile(document with { Version = document.Version with { Number = "1.1.0" } });

        Assert.Equal("1.1.0", next.Decide(next.Subject(), next.Category("user.contact.email"), next.Purpose("essential.service")).PolicyVersion);
        Assert.Equal("1.1.0", next.Decide(next.Subject(), next.Category("user.behavior.clicks"), next.Purpose("analytics.reporting")).PolicyVersion);
        Assert.Equal("1.1.0", next.Decide(next.Subject(), next.Category("unknown"), next.Purpose("unknown")).PolicyVersion);
        Assert.Equal("1.1.0", next.Decide(new SubjectState(default, default, RegionId.Undeclared), next.Category("user.contact.email"), next.Purpose("essential.service")).PolicyVersion);
    }

    [Fact]
    [Trait("Clause", "S8.1")]
    [Trait("Clause", "S4.5")]
    public void Decide_MinorAndExcludedPurpose_DeniesMinorRestrictedEvenWithEveryConsent()
    {
        var subject = Policy.Subject(AllConsents, SubjectTraits.Minor | SubjectTraits.GuardianConsent);

        foreach (var key in Policy.Document.Minors.ExcludedPurposes)
        {
            var purpose = Policy.Purpose(key);
            var category = Policy.Category(Policy[purpose].Categories[0]);

            Assert.Equal(new PurposeDecision(false, DecisionReason.MinorRestricted, "S8.1", Version), Policy.Decide(subject, category, purpose));
        }
    }

    [Fact]
    [Trait("Clause", "S8.1")]
    public void Decide_ChildAndExcludedPurposeWithoutGuardian_DeniesMinorRestricted()
    {
        // Asking for a guardian would be misleading: no guardian consent makes this purpose available.
        var subject = Policy.Subject(AllConsents, SubjectTraits.Minor | SubjectTraits.Child);

        Assert.Equal(new PurposeDecision(false, DecisionReason.MinorRestricted, "S8.1", Version), Policy.Decide(subject, Clicks, Advertising));
    }

    [Fact]
    [Trait("Clause", "S8.1")]
    public void Decide_MinorOptionalPurposeWithoutGuardianConsent_DeniesGuardianConsentRequired()
    {
        var subject = Policy.Subject(AllConsents, SubjectTraits.Minor);

        Assert.Equal(new PurposeDecision(false, DecisionReason.GuardianConsentRequired, "S8.1", Version), Policy.Decide(subject, Clicks, Analytics));
    }

    [Fact]
    [Trait("Clause", "S8.1")]
    public void Decide_MinorOptionalPurposeWithGuardianConsentAndConsent_AllowsConsented()
    {
        var subject = Policy.Subject(ConsentSet.None.With(Analytics), SubjectTraits.Minor | SubjectTraits.GuardianConsent);

        Assert.Equal(new PurposeDecision(true, DecisionReason.Consented, "S4.4", Version), Policy.Decide(subject, Clicks, Analytics));
    }

    [Fact]
    [Trait("Clause", "S8.1")]
    public void Decide_MinorWithGuardianConsentButNotTheirOwn_DeniesNotConsented()
    {
        var subject = Policy.Subject(ConsentSet.None, SubjectTraits.Minor | SubjectTraits.GuardianConsent);

        Assert.Equal(new PurposeDecision(false, DecisionReason.NotConsented, "S4.4", Version), Policy.Decide(subject, Clicks, Analytics));
    }

    [Fact]
    [Trait("Clause", "S8.1")]
    [Trait("Clause", "S1.1")]
    public void Decide_MinorNecessaryPurposeWithoutGuardianConsent_AllowsNecessary()
    {
        var subject = Policy.Subject(ConsentSet.None, SubjectTraits.Minor);

        Assert.Equal(new PurposeDecision(true, DecisionReason.Necessary, "S4.1", Version), Policy.Decide(subject, Email, Service));
    }

    [Fact]
    [Trait("Clause", "S8.1")]
    public void Decide_ChildWithoutGuardianConsent_DeniesEvenNecessaryPurposes()
    {
        var subject = Policy.Subject(AllConsents, SubjectTraits.Minor | SubjectTraits.Child);
        var required = new PurposeDecision(false, DecisionReason.GuardianConsentRequired, "S8.1", Version);

        Assert.Equal(required, Policy.Decide(subject, Email, Service));
        Assert.Equal(required, Policy.Decide(subject, Email, Backup));
        Assert.Equal(required, Policy.Decide(subject, Clicks, Analytics));
    }

    [Fact]
    [Trait("Clause", "S8.1")]
    public void Decide_ChildWithoutGuardianConsent_AllowsOnlyPurposesListedBeforeGuardianConsent()
    {
        var subject = Policy.Subject(ConsentSet.None, SubjectTraits.Minor | SubjectTraits.Child);
        var before = Policy.Document.Minors.ChildBeforeGuardianConsent;

        Assert.Equal(new PurposeDecision(true, DecisionReason.Necessary, "S4.2", Version), Policy.Decide(subject, Email, Authentication));
        Assert.Equal(new PurposeDecision(true, DecisionReason.Necessary, "S4.2", Version), Policy.Decide(subject, Device, Security));
        foreach (var purpose in Policy.Purposes)
        {
            var decision = Policy.Decide(subject, Policy.Category(purpose.Categories[0]), Policy.Purpose(purpose.Key));
            Assert.True(before.Contains(purpose.Key) == decision.Allowed, $"{purpose.Key}: {decision}");
        }
    }

    [Fact]
    [Trait("Clause", "S8.1")]
    public void Decide_ChildWithGuardianConsent_AllowsNecessaryPurposes()
    {
        var subject = Policy.Subject(ConsentSet.None, SubjectTraits.Minor | SubjectTraits.Child | SubjectTraits.GuardianConsent);

        Assert.Equal(new PurposeDecision(true, DecisionReason.Necessary, "S4.1", Version), Policy.Decide(subject, Email, Service));
        Assert.Equal(new PurposeDecision(false, DecisionReason.NotConsented, "S4.4", Version), Policy.Decide(subject, Clicks, Analytics));
    }

    [Fact]
    [Trait("Clause", "S8.1")]
    public void Decide_ChildFlagWithoutMinorFlag_IsStillTreatedAsAMinor()
    {
        var subject = Policy.Subject(AllConsents, SubjectTraits.Child);

        Assert.Equal(DecisionReason.GuardianConsentRequired, Policy.Decide(subject, Email, Service).Reason);
        Assert.Equal(DecisionReason.MinorRestricted, Policy.Decide(subject, Email, Surveys).Reason);
    }

    [Fact]
    [Trait("Clause", "S2.3")]
    public void Decide_SubjectInUndeclaredRegion_DeniesRegionNotAllowed()
    {
        var subject = new SubjectState(AllConsents, SubjectTraits.None, RegionId.Undeclared);

        Assert.Equal(new PurposeDecision(false, DecisionReason.RegionNotAllowed, "S2.3", Version), Policy.Decide(subject, Email, Service));
        Assert.Equal(new PurposeDecision(false, DecisionReason.RegionNotAllowed, "S2.3", Version), Policy.Decide(subject, Clicks, Analytics));
    }

    [Fact]
    [Trait("Clause", "S2.3")]
    public void Decide_SubjectInRegionOtherThanTheControllers_DeniesRegionNotAllowed()
    {
        var document = PolicyLoader.LoadDefault();
        var policy = CompiledPolicy.Compile(document with
        {
            Regions = [.. document.Regions, new Region("SG", new LocalizedText("Singapore", "新加坡"))],
        });
        var email = policy.Category("user.contact.email");
        var service = policy.Purpose("essential.service");

        Assert.Equal(policy.Region("CN"), policy.HomeRegion);
        Assert.True(policy.Decide(new SubjectState(default, default, policy.Region("CN")), email, service).Allowed);
        Assert.Equal(
            new PurposeDecision(false, DecisionReason.RegionNotAllowed, "S2.3", Version),
            policy.Decide(new SubjectState(default, default, policy.Region("SG")), email, service));
        Assert.Equal(DecisionReason.RegionNotAllowed, policy.Decide(new SubjectState(default, default, new RegionId(63)), email, service).Reason);
        Assert.Equal(DecisionReason.RegionNotAllowed, policy.Decide(new SubjectState(default, default, new RegionId(64)), email, service).Reason);
    }

    [Fact]
    [Trait("Clause", "S2.3")]
    public void Decide_DefaultSubjectState_Denies()
    {
        // A subject whose region was never set is not assumed to live in the controller's region.
        var decision = Policy.Decide(default(SubjectState), Email, Service);

        Assert.Equal(new PurposeDecision(false, DecisionReason.RegionNotAllowed, "S2.3", Version), decision);
    }

    [Fact]
    [Trait("Clause", "S2.3")]
    public void Decide_WhenControllerRegionIsNotDeclared_DeniesEverySubject()
    {
        var document = PolicyLoader.LoadDefault();
        var policy = CompiledPolicy.Compile(document with { Controller = document.Controller with { Region = "XX" } });

        Assert.Equal(RegionId.Undeclared, policy.HomeRegion);
        Assert.Equal(
            new PurposeDecision(false, DecisionReason.RegionNotAllowed, "S2.3", Version),
            policy.Decide(policy.Subject(), policy.Category("user.contact.email"), policy.Purpose("essential.service")));
        Assert.Equal(
            DecisionReason.RegionNotAllowed,
            policy.Decide(new SubjectState(default, default, policy.Region("CN")), policy.Category("user.contact.email"), policy.Purpose("essential.service")).Reason);
    }

    [Fact]
    [Trait("Clause", "S4.9")]
    public void PurposeDecision_Default_IsADenial()
    {
        var decision = default(PurposeDecision);

        Assert.False(decision.Allowed);
        Assert.Equal(DecisionReason.NotDeclared, decision.Reason);
    }

    [Fact]
    [Trait("Clause", "S0.3")]
    [Trait("Clause", "S4.4")]
    public void Decide_OptionalPurposeWhateverItsBasis_NeedsConsent()
    {
        // "optional: true" promises the subject can turn the purpose off; the gate must honour
        // that even if a policy names a basis other than consent.
        var document = PolicyLoader.LoadDefault();
        var policy = CompiledPolicy.Compile(document with
        {
            Purposes = [.. document.Purposes.Select(p => p.Key == "essential.service.upgrades" ? p with { Optional = true } : p)],
        });
        var upgrades = policy.Purpose("essential.service.upgrades");
        var device = policy.Category("user.device");

        Assert.Equal(new PurposeDecision(false, DecisionReason.NotConsented, "S4.7", Version), policy.Decide(policy.Subject(), device, upgrades));
        Assert.Equal(new PurposeDecision(true, DecisionReason.Consented, "S4.7", Version), policy.Decide(policy.Subject(ConsentSet.None.With(upgrades)), device, upgrades));
    }

    [Fact]
    [Trait("Clause", "S8.1")]
    public void Decide_MinorAndExcludedNecessaryPurpose_DeniesMinorRestricted()
    {
        // The minors' exclusion list is honoured whatever the purpose's basis: fail closed.
        var document = PolicyLoader.LoadDefault();
        var policy = CompiledPolicy.Compile(document with
        {
            Minors = document.Minors with { ExcludedPurposes = [.. document.Minors.ExcludedPurposes, "essential.fraud_detection"] },
        });
        var fraud = policy.Purpose("essential.fraud_detection");
        var email = policy.Category("user.contact.email");

        Assert.True(policy.Decide(policy.Subject(), email, fraud).Allowed);
        Assert.Equal(DecisionReason.MinorRestricted, policy.Decide(policy.Subject(AllConsents, SubjectTraits.Minor | SubjectTraits.GuardianConsent), email, fraud).Reason);
    }

    [Fact]
    [Trait("Clause", "S4.9")]
    public void Decide_TenThousandDecisions_AllocateNothing()
    {
        var subjects = new[]
        {
            Policy.Subject(ConsentSet.None),
            Policy.Subject(ConsentSet.None.With(Analytics).With(Advertising)),
            Policy.Subject(AllConsents, SubjectTraits.Minor),
            Policy.Subject(AllConsents, SubjectTraits.Minor | SubjectTraits.Child),
            Policy.Subject(ConsentSet.None.With(Analytics), SubjectTraits.Minor | SubjectTraits.GuardianConsent),
            new SubjectState(AllConsents, SubjectTraits.None, RegionId.Undeclared),
        };
        var uses = new (CategoryId Category, PurposeId Purpose)[]
        {
            (Email, Service), (Clicks, Analytics), (Clicks, Advertising), (Email, Backup), (Email, Surveys),
            (Device, Security), (CookieId, Authentication), (PreciseLocation, Surveys), (Email, PurposeId.Undeclared),
        };

        var allowed = Run(subjects, uses, 1_000);
        var before = GC.GetAllocatedBytesForCurrentThread();
        allowed += Run(subjects, uses, 10_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.InRange(allowed, 1, 10_999);
    }

    private static int Run(SubjectState[] subjects, (CategoryId Category, PurposeId Purpose)[] uses, int count)
    {
        var allowed = 0;
        for (var i = 0; i < count; i++)
        {
            var (category, purpose) = uses[i % uses.Length];
            if (Policy.Decide(subjects[i % subjects.Length], category, purpose).Allowed)
            {
                allowed++;
            }
        }

        return allowed;
    }
}
