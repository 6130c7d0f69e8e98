using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Tests.Policy;

/// <summary>
/// Each kind of unsound policy is refused with the exact message, file, line and column. The rendered
/// policy and the purpose gate both come from the loaded policy, so a policy that loads must be sound
/// (S0.1). Each test edits a copy of the default policy and finds the expected position in the edited
/// text.
/// </summary>
public sealed class PolicyValidationTests
{
    private const string TopLevelKeys =
        "policy, controller, regions, stores, registration, categories, purposes, sharing, cross_border_transfers, rights, minors, security, changes, cessation";

    private const string CategoryKeys =
        "key, clause, name, sensitivity, identifies_directly, collected, sources, stores, retention, region";

    private const string ExpectedDuration =
        "expected an ISO 8601 duration such as P90D, P6M or P1Y, or 'until-account-cancellation'";

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_DefaultPolicyCopy_Loads()
    {
        var result = PolicyText.Default().Load();

        Assert.Empty(result.Errors);
        Assert.NotNull(result.Policy);
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_UnknownKeyInCategory_ReportsKeyWithLineAndColumn()
    {
        var policy = PolicyText.Default().ReplaceAfter("- key: user.device\n", "    retention: P6M\n", "    retention: P6M\n    colour: blue\n");

        policy.AssertSingleError(policy.Locate("- key: user.device\n", "colour"),
            $"unknown key 'colour' in category 'user.device'; expected one of: {CategoryKeys}");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_UnknownKeyAtTopLevel_ReportsKeyWithLineAndColumn()
    {
        var policy = PolicyText.Default().InsertBefore("security:\n", "audit:\n  enabled: true\n\n");

        policy.AssertSingleError(policy.Locate("audit:\n"),
            $"unknown key 'audit' in the policy; expected one of: {TopLevelKeys}");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_MisspelledPurposeKey_ReportsKeyAndMissingKey()
    {
        // A misspelling is both an unknown key and a missing one; both are reported, in file order.
        var policy = PolicyText.Default().ReplaceAfter("- key: personalize\n", "    basis: consent", "    basys: consent");
        var purpose = policy.Locate("- key: personalize\n", "key:");
        var misspelt = policy.Locate("- key: personalize\n", "basys");

        var result = policy.Load();

        Assert.Null(result.Policy);
        Assert.Equal(
            [
                new PolicyError(PolicyText.FileName, purpose.Line, purpose.Column,
                    "missing key 'basis' in purpose 'personalize'; expected a value for 'basis'"),
                new PolicyError(PolicyText.FileName, misspelt.Line, misspelt.Column,
                    "unknown key 'basys' in purpose 'personalize'; expected one of: key, clause, name, description, basis, optional, categories"),
            ],
            result.Errors);
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_ErrorOnTheFirstCharacter_IsAtLineOneColumnOne()
    {
        // Positions are 1-based, as editors show them; YamlDotNet's marks are too.
        var policy = PolicyText.Of("colour: blue\n" + PolicyLoader.ReadDefaultText());

        policy.AssertSingleError(new TextPosition(1, 1), $"unknown key 'colour' in the policy; expected one of: {TopLevelKeys}");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_KeyWithExplicitStringTag_IsRecognized()
    {
        var result = PolicyText.Default().Replace("  version: 1.0.0\n", "  !!str version: 1.0.0\n").Load();

        Assert.Empty(result.Errors);
        Assert.Equal("1.0.0", result.Policy!.Version.Number);
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    [Trait("Clause", "S5.2")]
    [Trait("Clause", "S5.3")]
    public void Load_IdentifyingFlagUnderTaggedKeyOfferedToAdvertisers_ReportsCategory()
    {
        // The flag is read the way the binder reads it, so spelling the key differently cannot hide it.
        var policy = PolicyText.Default()
            .ReplaceAfter("- key: user.location.imprecise\n", "identifies_directly: false", "!!str identifies_directly: true");

        var advertisers = policy.Locate("- key: advertisers\n", "categories: [", "user.location.imprecise");
        var agents = policy.Locate("- key: advertising-agents\n", "categories: [", "user.location.imprecise");

        var result = policy.Load();

        Assert.Null(result.Policy);
        Assert.Equal(
            [
                new PolicyError(PolicyText.FileName, advertisers.Line, advertisers.Column,
                    "recipient 'advertisers' receives de-identified data only, but is offered 'user.location.imprecise', which identifies a person directly; expected only categories with identifies_directly: false"),
                new PolicyError(PolicyText.FileName, agents.Line, agents.Column,
                    "recipient 'advertising-agents' receives de-identified data only, but is offered 'user.location.imprecise', which identifies a person directly; expected only categories with identifies_directly: false"),
            ],
            result.Errors);
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_KeyThatIsAList_ReportsKey()
    {
        var policy = PolicyText.Default().InsertBefore("security:\n", "[audit, log]: true\n");

        policy.AssertSingleError(policy.Locate("[audit, log]"),
            $"a key in the policy is a list; expected one of: {TopLevelKeys}");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    [Trait("Clause", "S2.2")]
    public void Load_CategoryWithoutRetention_ReportsMissingKeyAtCategory()
    {
        var policy = PolicyText.Default().ReplaceAfter("- key: user.behavior.clicks\n", "    retention: P6M\n", string.Empty);

        policy.AssertSingleError(policy.Locate("- key: user.behavior.clicks\n", "key:"),
            "missing key 'retention' in category 'user.behavior.clicks'; expected a value for 'retention'");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_DuplicateCategoryKey_ReportsSecondAndWhereFirstWasDeclared()
    {
        const string Duplicate = """
              - key: user.contact.email
                clause: S1.2
                name: { en: "second email address", zh-CN: "第二个电子邮件地址" }
                sensitivity: personal
                identifies_directly: true
                collected: registration
                stores: [database]
                retention: until-account-cancellation
                region: CN


            """;
        var policy = PolicyText.Default().InsertBefore("purposes:\n", Duplicate);
        var first = policy.Locate("categories:\n", "- key: user.contact.email\n", "user.contact.email");
        var second = policy.Locate(Duplicate, "user.contact.email");

        policy.AssertSingleError(second,
            $"duplicate category key 'user.contact.email' (first declared at {first.Line}:{first.Column}); expected each key once");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_DuplicatePurposeKey_ReportsSecondAndWhereFirstWasDeclared()
    {
        const string Duplicate = """
              - key: personalize
                clause: S4.4
                name: { en: "personalization again", zh-CN: "再次个性化" }
                description: { en: "to personalize again", zh-CN: "再次个性化" }
                basis: consent
                optional: true
                categories: [user.device]


            """;
        var policy = PolicyText.Default().InsertBefore("sharing:\n", Duplicate);
        var first = policy.Locate("purposes:\n", "- key: personalize\n", "personalize");
        var second = policy.Locate(Duplicate, "personalize");

        policy.AssertSingleError(second,
            $"duplicate purpose key 'personalize' (first declared at {first.Line}:{first.Column}); expected each key once");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_DuplicateRecipientKey_ReportsSecondAndWhereFirstWasDeclared()
    {
        var policy = PolicyText.Default().Replace("- key: advertising-agents\n", "- key: advertisers\n");
        var declarations = policy.LocateAll("- key: advertisers\n", "advertisers");

        Assert.Equal(2, declarations.Count);
        policy.AssertSingleError(declarations[1],
            $"duplicate recipient key 'advertisers' (first declared at {declarations[0].Line}:{declarations[0].Column}); expected each key once");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    [Trait("Clause", "S4.9")]
    public void Load_PurposeUsesUndeclaredCategory_ReportsReference()
    {
        var policy = PolicyText.Default().ReplaceAfter("- key: functional.location\n", "user.location.imprecise]", "user.location.street]");

        policy.AssertSingleError(policy.Locate("- key: functional.location\n", "user.location.street"),
            "purpose 'functional.location' refers to undeclared category 'user.location.street'; expected a category declared in the policy");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    [Trait("Clause", "S4.9")]
    public void Load_RecipientUsesUndeclaredPurpose_ReportsReference()
    {
        var policy = PolicyText.Default().ReplaceAfter("- key: advertising-agents\n", "analytics.reporting.ad_performance]", "analytics.reporting.ad_reach]");

        policy.AssertSingleError(policy.Locate("- key: advertising-agents\n", "analytics.reporting.ad_reach"),
            "recipient 'advertising-agents' refers to undeclared purpose 'analytics.reporting.ad_reach'; expected a purpose declared in the policy");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    [Trait("Clause", "S4.9")]
    public void Load_MinorsExcludeUndeclaredPurpose_ReportsReference()
    {
        var policy = PolicyText.Default().ReplaceAfter("excluded_purposes: [", "functional.location", "functional.games");

        policy.AssertSingleError(policy.Locate("excluded_purposes: [", "functional.games"),
            "minors refers to undeclared purpose 'functional.games'; expected a purpose declared in the policy");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    [Trait("Clause", "S2.4")]
    public void Load_CrossBorderTransferToDeclaredRecipient_Loads()
    {
        var result = WithTransferTo("advertisers").Load();

        Assert.Empty(result.Errors);
        var transfer = Assert.Single(result.Policy!.CrossBorderTransfers);
        Assert.Equal(("SG", "advertisers"), (transfer.ToRegion, transfer.Recipient));
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    [Trait("Clause", "S2.4")]
    [Trait("Clause", "S4.9")]
    public void Load_CrossBorderTransferToUndeclaredRecipient_ReportsReference()
    {
        var policy = WithTransferTo("cloud-backup");

        policy.AssertSingleError(policy.Locate("cross_border_transfers:\n", "recipient: ", "cloud-backup"),
            "cross-border transfer refers to undeclared recipient 'cloud-backup'; expected a recipient declared in the policy");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_CrossBorderTransferIdNotPlain_ReportsIdWithLineAndColumn()
    {
        var policy = WithTransferTo("advertisers").Replace("- id: sg-ad-measurement", "- id: SG Ads");

        policy.AssertSingleError(policy.Locate("cross_border_transfers:\n", "SG Ads"),
            "cross-border transfer id 'SG Ads' is not a plain id; expected 1 to 64 lower-case letters, digits and single hyphens, such as sg-advertisers");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_CrossBorderTransferIdTwice_ReportsTheSecond()
    {
        var policy = WithTransferTo("advertisers");
        var block = policy.Text[policy.Text.IndexOf("  - id: sg-ad-measurement", StringComparison.Ordinal)..policy.Text.IndexOf("\nrights:", StringComparison.Ordinal)];
        var first = policy.Locate("cross_border_transfers:\n", "sg-ad-measurement");
        policy = policy.Replace(block, block + block);

        var second = policy.LocateAll("- id: sg-ad-measurement", "sg-ad-measurement")[1];
        policy.AssertSingleError(second,
            $"duplicate cross-border transfer id 'sg-ad-measurement' (first declared at {first.Line}:{first.Column}); expected each id once");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    [Trait("Clause", "S4.4")]
    [Trait("Clause", "S6.1")]
    public void Load_ConsentPurposeThatCannotBeTurnedOff_ReportsOptional()
    {
        var policy = PolicyText.Default().ReplaceAfter("- key: personalize\n", "optional: true", "optional: false");

        policy.AssertSingleError(policy.Locate("- key: personalize\n", "optional: ", "false"),
            "purpose 'personalize' is based on consent but cannot be turned off; expected optional: true, because consent can always be withdrawn");
    }

    [Theory]
    [Trait("Clause", "S0.1")]
    [Trait("Clause", "S2.2")]
    [InlineData("six months")]
    [InlineData("P0D")]
    [InlineData("until forever")]
    [InlineData("PT5H")]
    [InlineData("180")]
    public void Load_RetentionThatIsNotADuration_ReportsRetention(string retention)
    {
        var policy = PolicyText.Default().ReplaceAfter("- key: user.behavior.search_history\n", "retention: P6M", $"retention: {retention}");

        policy.AssertSingleError(policy.Locate("- key: user.behavior.search_history\n", "retention: ", retention),
            $"retention '{retention}' is not a duration; {ExpectedDuration}");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    [Trait("Clause", "S5.2")]
    [Trait("Clause", "S5.3")]
    public void Load_IdentifyingCategoryOfferedToAdvertisers_ReportsCategory()
    {
        var policy = PolicyText.Default().ReplaceAfter("- key: advertisers\n", "categories: [", "categories: [user.contact.email, ");

        policy.AssertSingleError(policy.Locate("- key: advertisers\n", "categories: [", "user.contact.email"),
            "recipient 'advertisers' receives de-identified data only, but is offered 'user.contact.email', which identifies a person directly; expected only categories with identifies_directly: false");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    [Trait("Clause", "S4.9")]
    public void Load_PurposeWithNoCategory_ReportsEmptyList()
    {
        var policy = PolicyText.Default().ReplaceAfter(
            "- key: functional.service.surveys\n", "categories: [user.contact.phone_number, user.contact.email]", "categories: []");

        policy.AssertSingleError(policy.Locate("- key: functional.service.surveys\n", "categories: ", "[]"),
            "purpose 'functional.service.surveys' uses no category; expected at least one category under 'categories'");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    [Trait("Clause", "S4.9")]
    public void Load_PurposeWithEmptyCategoriesValue_ReportsShape()
    {
        var policy = PolicyText.Default().ReplaceAfter(
            "- key: functional.service.surveys\n", " [user.contact.phone_number, user.contact.email]", string.Empty);

        // YAML places the missing value just after the colon.
        var colon = policy.Locate("- key: functional.service.surveys\n", "categories:", ":");

        policy.AssertSingleError(colon with { Column = colon.Column + 1 },
            "'categories' is an empty value; expected a list");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_UnknownBasis_ReportsAllowedValues()
    {
        var policy = PolicyText.Default().ReplaceAfter("- key: analytics.reporting\n", "basis: consent", "basis: maybe");

        policy.AssertSingleError(policy.Locate("- key: analytics.reporting\n", "basis: ", "maybe"),
            "unknown basis 'maybe'; expected one of: necessary, consent, legal-obligation");
    }

    [Theory]
    [Trait("Clause", "S0.1")]
    [InlineData("1.0")]
    [InlineData("1.0.0.0")]
    [InlineData("v1.0.0")]
    [InlineData("01.0.0")]
    [InlineData("1.0.x")]
    [InlineData("١.٠.٠")]
    public void Load_VersionThatIsNotSemantic_ReportsVersion(string version)
    {
        var policy = PolicyText.Default().ReplaceAfter("policy:\n", "  version: 1.0.0\n", $"  version: {version}\n");

        policy.AssertSingleError(policy.Locate("policy:\n", "version: ", version),
            $"version '{version}' is not a semantic version; expected MAJOR.MINOR.PATCH such as 1.0.0");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_VersionWithTrailingLineBreak_ReportsVersion()
    {
        var policy = PolicyText.Default().ReplaceAfter("policy:\n", "  version: 1.0.0\n", "  version: \"1.0.0\\n\"\n");

        policy.AssertSingleError(policy.Locate("policy:\n", "version: ", "\""),
            "version '1.0.0\n' is not a semantic version; expected MAJOR.MINOR.PATCH such as 1.0.0");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_EffectiveDateThatIsNotADate_ReportsDate()
    {
        var policy = PolicyText.Default().ReplaceAfter("policy:\n", "  effective: 2026-12-01\n", "  effective: 2026-02-30\n");

        policy.AssertSingleError(policy.Locate("policy:\n", "effective: ", "2026-02-30"),
            "effective date '2026-02-30' is not a date; expected YYYY-MM-DD");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_YamlSyntaxError_ReportsLineAndColumn()
    {
        var policy = PolicyText.Default().Replace("  in_transit: TLS\n", "  in_transit: TLS: 1.3\n");

        policy.AssertSingleError(policy.Locate("in_transit: TLS: 1.3", "TLS", ":"),
            "invalid YAML: While scanning a plain scalar value, found invalid mapping; expected well-formed YAML");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_SeveralErrors_ReportsAllSortedByPosition()
    {
        // The edits are made out of file order; the errors come back in file order.
        var policy = PolicyText.Default()
            .Replace("- key: advertising-agents\n", "- key: advertisers\n")
            .ReplaceAfter("- key: personalize\n", "optional: true", "optional: false")
            .ReplaceAfter("- key: user.behavior.search_history\n", "retention: P6M", "retention: six months")
            .ReplaceAfter("requires_one_of: [", "user.contact.phone_number", "user.contact.fax")
            .ReplaceAfter("- key: user.location.precise\n", "    region: CN\n", "    region: CN\n    colour: blue\n")
            .ReplaceAfter("policy:\n", "  version: 1.0.0\n", "  version: 1.0\n");
        var version = policy.Locate("policy:\n", "version: ", "1.0");
        var registration = policy.Locate("requires_one_of: [", "user.contact.fax");
        var colour = policy.Locate("- key: user.location.precise\n", "colour");
        var retention = policy.Locate("- key: user.behavior.search_history\n", "retention: ", "six months");
        var optional = policy.Locate("- key: personalize\n", "optional: ", "false");
        var recipients = policy.LocateAll("- key: advertisers\n", "advertisers");

        var result = policy.Load();

        Assert.Null(result.Policy);
        Assert.Equal(
            [
                new PolicyError(PolicyText.FileName, version.Line, version.Column,
                    "version '1.0' is not a semantic version; expected MAJOR.MINOR.PATCH such as 1.0.0"),
                new PolicyError(PolicyText.FileName, registration.Line, registration.Column,
                    "registration refers to undeclared category 'user.contact.fax'; expected a category declared in the policy"),
                new PolicyError(PolicyText.FileName, colour.Line, colour.Column,
                    $"unknown key 'colour' in category 'user.location.precise'; expected one of: {CategoryKeys}"),
                new PolicyError(PolicyText.FileName, retention.Line, retention.Column,
                    $"retention 'six months' is not a duration; {ExpectedDuration}"),
                new PolicyError(PolicyText.FileName, optional.Line, optional.Column,
                    "purpose 'personalize' is based on consent but cannot be turned off; expected optional: true, because consent can always be withdrawn"),
                new PolicyError(PolicyText.FileName, recipients[1].Line, recipients[1].Column,
                    $"duplicate recipient key 'advertisers' (first declared at {recipients[0].Line}:{recipients[0].Column}); expected each key once"),
            ],
            result.Errors);
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_ErrorsAtTheSameLine_AreOrderedByColumn()
    {
        var policy = PolicyText.Default().ReplaceAfter(
            "- key: functional.location\n", "categories: [user.location.precise, user.location.imprecise]", "categories: [user.location.street, user.location.house]");
        var street = policy.Locate("- key: functional.location\n", "user.location.street");
        var house = policy.Locate("- key: functional.location\n", "user.location.house");

        var result = policy.Load();

        Assert.Equal(street.Line, house.Line);
        Assert.Equal([(street.Line, street.Column), (house.Line, house.Column)], result.Errors.Select(e => (e.Line, e.Column)));
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void LoadFile_MissingFile_ReportsOneErrorNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"konzen-{Guid.NewGuid():N}", "absent.policy.yaml");

        var result = PolicyLoader.LoadFile(path);

        Assert.Null(result.Policy);
        Assert.Equal(new PolicyError("absent.policy.yaml", 1, 1, $"file '{path}' does not exist; expected a readable policy file"), Assert.Single(result.Errors));
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void LoadFile_Directory_ReportsOneErrorNamingIt()
    {
        var path = Directory.CreateTempSubdirectory("konzen-").FullName;
        try
        {
            var result = PolicyLoader.LoadFile(path);

            Assert.Null(result.Policy);
            Assert.Equal(new PolicyError(Path.GetFileName(path), 1, 1, $"'{path}' is a directory; expected a readable policy file"), Assert.Single(result.Errors));
        }
        finally
        {
            Directory.Delete(path);
        }
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void LoadFile_ExistingFile_LoadsWithTheSameHashAsTheText()
    {
        var path = Path.Combine(Path.GetTempPath(), $"konzen-{Guid.NewGuid():N}.policy.yaml");
        File.WriteAllText(path, PolicyLoader.ReadDefaultText());
        try
        {
            var result = PolicyLoader.LoadFile(path);

            Assert.Empty(result.Errors);
            Assert.Equal(PolicyLoader.LoadDefault().Version.ContentHash, result.Policy!.Version.ContentHash);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static PolicyText WithTransferTo(string recipient) =>
        PolicyText.Default()
            .Replace("regions:\n", "regions:\n  - id: SG\n    name: { en: \"Singapore\", zh-CN: \"新加坡\" }\n")
            .Replace("cross_border_transfers: []\n", $$"""
                cross_border_transfers:
                  - id: sg-ad-measurement
                    to_region: SG
                    recipient: {{recipient}}
                    purposes: [analytics.reporting.ad_performance]
                    categories: [user.device]
                    security_measures: { en: "encryption in transit and at rest", zh-CN: "传输和存储加密" }
                    risks: { en: "access by foreign authorities", zh-CN: "境外机关的访问" }

                """);
}
