using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Tests.Policy;

/// <summary>
/// Whatever text it is given, the loader answers with errors that carry a position and say what was
/// expected; it never throws. A policy file is edited by hand, so half-typed and mangled files are the
/// normal case, not an attack.
/// </summary>
public sealed class PolicyLoaderHostileInputTests
{
    public static TheoryData<string, string> HostileTexts => new()
    {
        { "empty file", string.Empty },
        { "only a comment", "# nothing here\n" },
        { "only whitespace", "   \n\n  \n" },
        { "a single value", "hello" },
        { "a list", "- policy\n- controller\n" },
        { "two documents", "policy: {}\n---\npolicy: {}\n" },
        { "an empty mapping", "{}" },
        { "a null top-level value", "policy:\n" },
        { "a key that is a list", "[policy, controller]: x\n" },
        { "a key that is a mapping", "{policy: x}: y\n" },
        { "an empty key", ": x\n" },
        { "a colon line after a nested mapping", "policy:\n  version: 1.0.0\n:\ncontroller: x\n" },
        { "a tab as indentation", "policy:\n\tversion: 1.0.0\n" },
        { "an unclosed flow list", "regions: [CN, SG\nstores: [database]\n" },
        { "a flow list continued at column one", "regions: [CN,\nSG]\n" },
        { "an unclosed flow mapping", "policy: {version: 1.0.0\n" },
        { "an unclosed quote", "policy: \"1.0.0\ncontroller: x\n" },
        { "an undefined alias", "policy: *nothing\n" },
        { "a self-referencing alias", "policy: &p {version: *p, effective: *p}\n" },
        { "a self-referencing list", "categories: &c [*c, *c]\n" },
        // Deep enough to overflow the stack of YamlDotNet's recursive node loader without the depth guard.
        { "deep flow lists", "policy: " + new string('[', 200_000) + new string(']', 200_000) + "\n" },
        { "deep flow mappings", "policy: " + string.Concat(Enumerable.Repeat("{a: ", 100_000)) + "1" + new string('}', 100_000) + "\n" },
        { "deep block mappings", string.Concat(Enumerable.Range(0, 2_000).Select(depth => new string(' ', depth) + "a:\n")) },
        { "a lone surrogate", "policy: \"\\uD800\"\n" },
        { "a NUL character", "policy: \0\n" },
        { "lists everywhere", "policy: []\ncontroller: []\nregions: [[]]\ncategories: [[], [x]]\npurposes: [{}]\nsharing: [1]\n" },
        { "mappings everywhere", "regions: {}\ncategories: {a: b}\npurposes: {}\ncross_border_transfers: {}\nminors: {excluded_purposes: {}}\n" },
        { "null entries", "categories:\n  -\n  - key:\n    name:\n" },
        { "a merge key", "base: &b {at_rest: x}\nsecurity:\n  <<: *b\n" },
        { "a directive without a document", "%YAML 1.2\n" },
    };

    [Theory]
    [Trait("Clause", "S0.1")]
    [MemberData(nameof(HostileTexts))]
    public void Load_HostileText_ReportsPositionedErrorsWithoutThrowing(string label, string yaml)
    {
        var result = PolicyLoader.Load(yaml, PolicyText.FileName);

        Assert.Null(result.Policy);
        Assert.NotEmpty(result.Errors);
        AssertWellFormed(yaml, result.Errors, label);
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_RandomlyMangledPolicies_NeverThrowAndAlwaysPositionTheirErrors()
    {
        // A fixed seed keeps the run repeatable; the characters are the ones YAML gives meaning to.
        var random = new Random(20261201);
        const string Characters = "[]{}:,-#'\"\t\n &*!|>?%@` x";
        var original = PolicyLoader.ReadDefaultText();
        for (var round = 0; round < 1_000; round++)
        {
            var text = original;
            for (var edit = random.Next(1, 4); edit > 0; edit--)
            {
                var at = random.Next(text.Length);
                var character = Characters[random.Next(Characters.Length)].ToString();
                text = random.Next(3) switch
                {
                    0 => text.Remove(at, 1),
                    1 => text.Insert(at, character),
                    _ => text.Remove(at, 1).Insert(at, character),
                };
            }

            var result = PolicyLoader.Load(text, PolicyText.FileName);

            Assert.Equal(result.Policy is null, result.Errors.Count > 0);
            AssertWellFormed(text, result.Errors, $"round {round}");
        }
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_EmptyText_ReportsMissingDocument()
    {
        PolicyText.Of(string.Empty).AssertSingleError(new TextPosition(1, 1),
            "the file holds no YAML document; expected one document whose top level is a mapping of the policy's sections");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_SingleValue_ReportsTopLevelShape()
    {
        var policy = PolicyText.Of("# a policy\nkonzen\n");

        policy.AssertSingleError(policy.Locate("konzen"),
            "the top level is a single value; expected a mapping of the policy's sections");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_SecondDocument_ReportsWhereItStarts()
    {
        var policy = PolicyText.Of(PolicyLoader.ReadDefaultText() + "---\nextra: true\n");

        policy.AssertSingleError(policy.Locate("---\nextra", "extra"),
            "a second YAML document starts here; expected one document whose top level is a mapping of the policy's sections");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_ListWhereMappingIsExpected_ReportsShape()
    {
        var policy = PolicyText.Default().Replace("policy:\n  version: 1.0.0\n  effective: 2026-12-01\n", "policy: [1.0.0, 2026-12-01]\n");

        policy.AssertSingleError(policy.Locate("policy: [", "["), "'policy' is a list; expected a mapping");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_MappingWhereListIsExpected_ReportsShape()
    {
        var policy = PolicyText.Default().ReplaceAfter("- key: user.device.ip_address\n", "stores: [server-logs]", "stores: {server-logs: true}");

        policy.AssertSingleError(policy.Locate("- key: user.device.ip_address\n", "stores: ", "{"), "'stores' is a mapping; expected a list");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_ListWhereValueIsExpected_ReportsShape()
    {
        var policy = PolicyText.Default().Replace("  in_transit: TLS\n", "  in_transit: [TLS]\n");

        policy.AssertSingleError(policy.Locate("in_transit: [TLS]", "["), "'in_transit' is a list; expected a single non-empty value");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_NullSection_ReportsShapeJustAfterTheColon()
    {
        var policy = PolicyText.Default().Replace("security:\n  at_rest: AES-256-GCM\n  in_transit: TLS\n", "security:\n");
        var colon = policy.Locate("security:\n", ":");

        policy.AssertSingleError(colon with { Column = colon.Column + 1 }, "'security' is an empty value; expected a mapping");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_ValueWhereCategoryIsExpected_ReportsEntry()
    {
        var policy = PolicyText.Default().InsertBefore("  - key: user.contact.phone_number\n", "  - user.contact.fax\n");

        policy.AssertSingleError(policy.Locate("  - user.contact.fax", "user"),
            "an entry of 'categories' is a single value; expected a category with its keys");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_SameKeyTwiceInOneMapping_ReportsSecond()
    {
        var policy = PolicyText.Default().Replace("  version: 1.0.0\n", "  version: 1.0.0\n  version: 1.0.1\n");

        policy.AssertSingleError(policy.Locate("version: 1.0.1"),
            "invalid YAML: key 'version' appears twice in this mapping; expected each key once");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_TabAsIndentation_ReportsTheTab()
    {
        var policy = PolicyText.Default().Replace("  in_transit: TLS\n", "\tin_transit: TLS\n");

        policy.AssertSingleError(policy.Locate("\tin_transit"),
            "invalid YAML: a tab is used for indentation; expected spaces");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_UnclosedFlowList_ReportsWhereTheListOpens()
    {
        var policy = PolicyText.Default().ReplaceAfter(
            "- key: essential.service.upgrades\n", "categories: [user.device, user.device.device_id]", "categories: [user.device,\nuser.device.device_id]");

        policy.AssertSingleError(policy.Locate("- key: essential.service.upgrades\n", "categories: ", "["),
            "invalid YAML: the list opened here with '[' cannot be read to its end; expected its items indented under its key and a closing ']'");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_UndefinedAlias_ReportsAlias()
    {
        var policy = PolicyText.Default().ReplaceAfter("- key: user.device.ip_address\n", "stores: [server-logs]", "stores: [*logs]");

        policy.AssertSingleError(policy.Locate("- key: user.device.ip_address\n", "*logs"),
            "invalid YAML: alias '*logs' refers to no anchor; expected an anchor '&logs' defined before it");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_DeepNesting_ReportsTheLevelTooDeep()
    {
        const string Prefix = "policy: ";
        var policy = PolicyText.Of(Prefix + new string('[', 200) + new string(']', 200) + "\n");

        // The top-level mapping is the first level, so the 64th '[' opens the 65th.
        policy.AssertSingleError(new TextPosition(1, Prefix.Length + 64),
            "invalid YAML: nesting deeper than 64 levels; expected a policy nested at most 64 levels deep");
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Load_PolicyWithByteOrderMark_LoadsWithTheSameHash()
    {
        var result = PolicyText.Of("\uFEFF" + PolicyLoader.ReadDefaultText()).Load();

        Assert.Empty(result.Errors);
        Assert.Equal(PolicyLoader.LoadDefault().Version.ContentHash, result.Policy!.Version.ContentHash);
    }

    private static void AssertWellFormed(string text, IReadOnlyList<PolicyError> errors, string label)
    {
        var lines = text.Split('\n');
        foreach (var error in errors)
        {
            Assert.True(error.File == PolicyText.FileName, $"{label}: {error}");
            Assert.True(error.Line >= 1 && error.Line <= lines.Length + 1, $"{label}: line out of range: {error}");
            Assert.True(error.Column >= 1, $"{label}: column out of range: {error}");
            Assert.True(error.Message.Contains("expected", StringComparison.Ordinal), $"{label}: says nothing of what was expected: {error}");
        }

        Assert.True(
            errors.Zip(errors.Skip(1)).All(pair => (pair.First.Line, pair.First.Column).CompareTo((pair.Second.Line, pair.Second.Column)) <= 0),
            $"{label}: errors are not sorted by position");
    }
}
