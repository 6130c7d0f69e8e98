using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Konzen.Privacy.Policy;

/// <summary>
/// Turns a policy's YAML node tree into a <see cref="PolicyDocument"/>. Binding never stops at the
/// first problem: a bad value is recorded as an error and replaced by a placeholder so that the rest
/// of the file is still checked. The document is only used when no error was recorded.
/// </summary>
internal sealed partial class PolicyBinder(string file)
{
    private const string ExpectedDuration = "expected an ISO 8601 duration such as P90D, P6M or P1Y, or 'until-account-cancellation'";

    private readonly List<PolicyError> errors = [];
    private readonly Dictionary<string, YamlNode> categories = new(StringComparer.Ordinal);
    private readonly Dictionary<string, YamlNode> purposes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, YamlNode> recipients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, YamlNode> regions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, YamlNode> stores = new(StringComparer.Ordinal);
    private readonly Dictionary<string, YamlNode> transferIds = new(StringComparer.Ordinal);
    private readonly List<(string Key, YamlNode Node, Dictionary<string, YamlNode> Declared, string Kind, string User)> references = [];
    private readonly List<(string Category, YamlNode Node, string Recipient)> offeredToDeIdentified = [];

    public IReadOnlyList<PolicyError> Errors => errors;

    public PolicyDocument Bind(YamlMappingNode root)
    {
        var top = new Fields(this, root, "the policy", null,
            ["policy", "controller", "regions", "stores", "registration", "categories", "purposes", "sharing",
             "cross_border_transfers", "rights", "minors", "security", "changes", "cessation"]);

        var version = BindVersion(top.Required("policy"));
        var regionList = Items(top.Required("regions"), "regions", "region", "id", BindRegion, regions);
        var storeList = Items(top.Required("stores"), "stores", "store", "id", BindStore, stores);
        var categoryList = Items(top.Required("categories"), "categories", "category", "key", BindCategory, categories);
        var purposeList = Items(top.Required("purposes"), "purposes", "purpose", "key", BindPurpose, purposes);
        var controller = BindController(top.Required("controller"));
        var registration = BindRegistration(top.Required("registration"));
        var sharing = BindSharing(top.Required("sharing"));
        var transfers = Items(top.Required("cross_border_transfers"), "cross_border_transfers", "cross-border transfer", "id", BindTransfer, transferIds);
        var rights = BindRights(top.Required("rights"));
        var minors = BindMinors(top.Required("minors"));
        var security = BindSecurity(top.Required("security"));
        var changes = BindChanges(top.Required("changes"));
        var cessation = BindCessation(top.Required("cessation"));

        CheckReferences(categoryList);

        // A stable sort: errors at the same place stay in the order they were found.
        var sorted = errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList();
        errors.Clear();
        errors.AddRange(sorted);

        return new PolicyDocument(version, controller, regionList, storeList, registration, categoryList, purposeList,
            sharing, transfers, rights, minors, security, changes, cessation);
    }

    private void CheckReferences(ImmutableArray<DataCategory> categoryList)
    {
        foreach (var (key, node, declared, kind, user) in references)
        {
            if (!declared.ContainsKey(key))
            {
                Error(node, $"{user} refers to undeclared {kind} '{key}'; expected a {kind} declared in the policy");
            }
        }

        // Decided from the bound categories, not by looking the flag up again in the YAML, so that
        // every spelling the binder accepts for the flag (a tagged key, say) is also checked here.
        var identifying = categoryList.Where(c => c.IdentifiesDirectly).Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var (category, node, recipient) in offeredToDeIdentified)
        {
            if (identifying.Contains(category))
            {
                Error(node, $"recipient '{recipient}' receives de-identified data only, but is offered '{category}', which identifies a person directly; expected only categories with identifies_directly: false");
            }
        }
    }

    private PolicyVersion BindVersion(YamlNode? node)
    {
        var fields = Map(node, "policy", null, "version", "effective");
        var number = Text(fields.Required("version"), "version");
        if (number.Length > 0 && !SemanticVersion().IsMatch(number))
        {
            Error(fields.Optional("version")!, $"version '{number}' is not a semantic version; expected MAJOR.MINOR.PATCH such as 1.0.0");
        }

        var effectiveNode = fields.Required("effective");
        var effectiveText = Text(effectiveNode, "effective");
        var effective = DateOnly.MinValue;
        if (effectiveText.Length > 0 && !DateOnly.TryParseExact(effectiveText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out effective))
        {
            Error(effectiveNode!, $"effective date '{effectiveText}' is not a date; expected YYYY-MM-DD");
        }

        return new PolicyVersion(number, effective, string.Empty);
    }

    private Controller BindController(YamlNode? node)
    {
        var fields = Map(node, "controller", null, "name", "service", "region", "contact");
        var region = Reference(fields.Required("region"), "region", regions, "region", "the controller");
        var contact = Items(fields.Required("contact"), "contact", "contact channel", "id", BindContact, new Dictionary<string, YamlNode>(StringComparer.Ordinal));
        return new Controller(Localized(fields.Required("name"), "name"), Localized(fields.Required("service"), "service"), region, contact);
    }

    private ContactChannel BindContact(Fields fields) =>
        new(fields.Name,
            Enum(fields.Required("kind"), "contact kind", ContactKinds),
            Text(fields.Required("address"), "address"));

    private Region BindRegion(Fields fields) => new(fields.Name, Localized(fields.Required("name"), "name"));

    private Store BindStore(Fields fields) => new(fields.Name, Localized(fields.Required("name"), "name"));

    private Registration BindRegistration(YamlNode? node)
    {
        var fields = Map(node, "registration", null, "requires_one_of");
        return new Registration(References(fields.Required("requires_one_of"), "requires_one_of", categories, "category", "registration"));
    }

    private DataCategory BindCategory(Fields fields)
    {
        var what = $"category '{fields.Name}'";
        var retentionNode = fields.Required("retention");
        var retentionText = Text(retentionNode, "retention");
        if (!RetentionPeriod.TryParse(retentionText, out var retention) && retentionText.Length > 0)
        {
            Error(retentionNode!, $"retention '{retentionText}' is not a duration; {ExpectedDuration}");
        }

        return new DataCategory(
            fields.Name,
            Clause(fields.Required("clause")),
            Localized(fields.Required("name"), "name"),
            Enum(fields.Required("sensitivity"), "sensitivity", Sensitivities),
            Bool(fields.Required("identifies_directly"), "identifies_directly"),
            Enum(fields.Required("collected"), "collection condition", Conditions),
            Strings(fields.Optional("sources"), "sources"),
            References(fields.Required("stores"), "stores", stores, "store", what),
            retention,
            Reference(fields.Required("region"), "region", regions, "region", what));
    }

    private Purpose BindPurpose(Fields fields)
    {
        var what = $"purpose '{fields.Name}'";
        var basis = Enum(fields.Required("basis"), "basis", Bases);
        var optionalNode = fields.Required("optional");
        var optional = Bool(optionalNode, "optional");
        if (basis == LegalBasis.Consent && optionalNode is YamlScalarNode { Value: "false" })
        {
            Error(optionalNode, $"{what} is based on consent but cannot be turned off; expected optional: true, because consent can always be withdrawn");
        }

        var categoriesNode = fields.Required("categories");
        var used = References(categoriesNode, "categories", categories, "category", what);
        if (categoriesNode is YamlSequenceNode { Children.Count: 0 })
        {
            Error(categoriesNode, $"{what} uses no category; expected at least one category under 'categories'");
        }

        return new Purpose(
            fields.Name,
            Clause(fields.Required("clause")),
            Localized(fields.Required("name"), "name"),
            Localized(fields.Required("description"), "description"),
            basis,
            optional,
            used);
    }

    private Sharing BindSharing(YamlNode? node)
    {
        var fields = Map(node, "sharing", null, "recipients", "k_anonymity", "identifying_data", "public_disclosure", "merger", "legal_exceptions");
        var recipientList = Items(fields.Required("recipients"), "recipients", "recipient", "key", BindRecipient, recipients);
        var disclosure = Map(fields.Required("public_disclosure"), "public_disclosure", null, "notice");
        var merger = Map(fields.Required("merger"), "merger", null, "notify", "same_protection");
        var exceptions = Items(fields.Required("legal_exceptions"), "legal_exceptions", "legal exception", "id",
            f => new LegalExceptionBasis(f.Name, Localized(f.Required("name"), "name")),
            new Dictionary<string, YamlNode>(StringComparer.Ordinal));

        return new Sharing(
            recipientList,
            Int(fields.Required("k_anonymity"), "k_anonymity", 2, 1000),
            Enum(fields.Required("identifying_data"), "identifying_data rule", IdentifyingRules),
            Strings(disclosure.Required("notice"), "notice"),
            Bool(merger.Required("notify"), "notify"),
            Bool(merger.Required("same_protection"), "same_protection"),
            exceptions);
    }

    private RecipientClass BindRecipient(Fields fields)
    {
        var what = $"recipient '{fields.Name}'";
        var receives = Enum(fields.Required("receives"), "receives", RecipientKinds);
        var categoriesNode = fields.Required("categories");
        var offered = References(categoriesNode, "categories", categories, "category", what);
        if (receives == RecipientData.DeIdentified && categoriesNode is YamlSequenceNode list)
        {
            foreach (var item in list.Children.OfType<YamlScalarNode>())
            {
                offeredToDeIdentified.Add((item.Value ?? string.Empty, item, fields.Name));
            }
        }

        return new RecipientClass(
            fields.Name,
            Clause(fields.Required("clause")),
            Localized(fields.Required("name"), "name"),
            receives,
            Strings(fields.Required("agreements"), "agreements"),
            References(fields.Required("purposes"), "purposes", purposes, "purpose", what),
            offered);
    }

    private CrossBorderTransfer BindTransfer(Fields fields)
    {
        // The id names the transfer in subjects' consents and in URLs, so it must stay plain and stable.
        if (fields.Name.Length > 0 && !TransferId().IsMatch(fields.Name))
        {
            Error(fields.Optional("id")!, $"cross-border transfer id '{fields.Name}' is not a plain id; expected 1 to 64 lower-case letters, digits and single hyphens, such as sg-advertisers");
        }

        return new(fields.Name,
            Reference(fields.Required("to_region"), "to_region", regions, "region", "cross-border transfer"),
            Reference(fields.Required("recipient"), "recipient", recipients, "recipient", "cross-border transfer"),
            References(fields.Required("purposes"), "purposes", purposes, "purpose", "cross-border transfer"),
            References(fields.Required("categories"), "categories", categories, "category", "cross-border transfer"),
            Localized(fields.Required("security_measures"), "security_measures"),
            Localized(fields.Required("risks"), "risks"));
    }

    private Rights BindRights(YamlNode? node)
    {
        var fields = Map(node, "rights", null, "response_working_days", "cancellation_cooling_off_days", "list");
        return new Rights(
            Int(fields.Required("response_working_days"), "response_working_days", 1, 60),
            Int(fields.Required("cancellation_cooling_off_days"), "cancellation_cooling_off_days", 0, 90),
            Items(fields.Required("list"), "list", "right", "id",
                f => new Right(f.Name, Clause(f.Required("clause")), Localized(f.Required("name"), "name")),
                new Dictionary<string, YamlNode>(StringComparer.Ordinal)));
    }

    private Minors BindMinors(YamlNode? node)
    {
        var fields = Map(node, "minors", null, "adult_age", "child_age", "excluded_purposes", "child_before_guardian_consent");
        var adultNode = fields.Required("adult_age");
        var adult = Int(adultNode, "adult_age", 1, 30);
        var child = Int(fields.Required("child_age"), "child_age", 1, 30);
        if (child >= adult && adult > 0)
        {
            Error(adultNode!, $"adult_age {adult} is not above child_age {child}; expected a child age below the adult age");
        }

        return new Minors(adult, child,
            References(fields.Required("excluded_purposes"), "excluded_purposes", purposes, "purpose", "minors"),
            References(fields.Required("child_before_guardian_consent"), "child_before_guardian_consent", purposes, "purpose", "minors"));
    }

    private Security BindSecurity(YamlNode? node)
    {
        var fields = Map(node, "security", null, "at_rest", "in_transit");
        return new Security(Text(fields.Required("at_rest"), "at_rest"), Text(fields.Required("in_transit"), "in_transit"));
    }

    private Changes BindChanges(YamlNode? node)
    {
        var fields = Map(node, "changes", null, "notice_days", "material");
        var material = ImmutableArray.CreateBuilder<MaterialChange>();
        if (Sequence(fields.Required("material"), "material") is { } list)
        {
            material.AddRange(list.Children.Select(item => Enum(item, "material change", MaterialChanges)));
        }

        return new Changes(Int(fields.Required("notice_days"), "notice_days", 0, 365), material.ToImmutable());
    }

    private Cessation BindCessation(YamlNode? node)
    {
        var fields = Map(node, "cessation", null, "deletion_within_days");
        return new Cessation(Int(fields.Required("deletion_within_days"), "deletion_within_days", 1, 365));
    }

    // ---- the building blocks: each reports its own errors and returns a placeholder on failure ----

    private ImmutableArray<T> Items<T>(
        YamlNode? node, string field, string kind, string? idKey, Func<Fields, T> bind, Dictionary<string, YamlNode>? declared)
    {
        var list = Sequence(node, field);
        if (list is null)
        {
            return [];
        }

        var items = ImmutableArray.CreateBuilder<T>(list.Children.Count);
        foreach (var child in list.Children)
        {
            if (child is not YamlMappingNode map)
            {
                Error(child, $"an entry of '{field}' is {Describe(child)}; expected a {kind} with its keys");
                continue;
            }

            var fields = new Fields(this, map, kind, idKey, AllowedKeys[kind]);
            if (idKey is not null && declared is not null && fields.Name.Length > 0)
            {
                var idNode = fields.Optional(idKey)!;
                if (declared.TryGetValue(fields.Name, out var first))
                {
                    Error(idNode, $"duplicate {kind} {idKey} '{fields.Name}' (first declared at {first.Start.Line}:{first.Start.Column}); expected each {idKey} once");
                }
                else
                {
                    declared[fields.Name] = idNode;
                }
            }

            items.Add(bind(fields));
        }

        return items.ToImmutable();
    }

    private static readonly Dictionary<string, string[]> AllowedKeys = new(StringComparer.Ordinal)
    {
        ["region"] = ["id", "name"],
        ["store"] = ["id", "name"],
        ["contact channel"] = ["id", "kind", "address"],
        ["category"] = ["key", "clause", "name", "sensitivity", "identifies_directly", "collected", "sources", "stores", "retention", "region"],
        ["purpose"] = ["key", "clause", "name", "description", "basis", "optional", "categories"],
        ["recipient"] = ["key", "clause", "name", "receives", "agreements", "purposes", "categories"],
        ["legal exception"] = ["id", "name"],
        ["cross-border transfer"] = ["id", "to_region", "recipient", "purposes", "categories", "security_measures", "risks"],
        ["right"] = ["id", "clause", "name"],
    };

    private Fields Map(YamlNode? node, string field, string? idKey, params string[] allowed)
    {
        if (node is YamlMappingNode map)
        {
            return new Fields(this, map, $"'{field}'", idKey, allowed);
        }

        if (node is not null)
        {
            Error(node, $"'{field}' is {Describe(node)}; expected a mapping");
        }

        return new Fields(this, new YamlMappingNode(), $"'{field}'", idKey, allowed, silent: true);
    }

    private YamlSequenceNode? Sequence(YamlNode? node, string field)
    {
        switch (node)
        {
            case YamlSequenceNode list:
                return list;
            case null:
                return null;
            default:
                Error(node, $"'{field}' is {Describe(node)}; expected a list");
                return null;
        }
    }

    private string Text(YamlNode? node, string field)
    {
        switch (node)
        {
            case YamlScalarNode { Value.Length: > 0 } scalar:
                return scalar.Value;
            case null:
                return string.Empty;
            default:
                Error(node, $"'{field}' is {Describe(node)}; expected a single non-empty value");
                return string.Empty;
        }
    }

    private string Clause(YamlNode? node)
    {
        var text = Text(node, "clause");
        if (text.Length > 0 && !ClauseId().IsMatch(text))
        {
            Error(node!, $"clause '{text}' is not a clause id; expected an id such as S1.3");
        }

        return text;
    }

    private int Int(YamlNode? node, string field, int min, int max)
    {
        var text = Text(node, field);
        if (text.Length == 0)
        {
            return 0;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Error(node!, $"'{field}' is '{text}'; expected a whole number from {min} to {max}");
            return 0;
        }

        return value;
    }

    private bool Bool(YamlNode? node, string field)
    {
        var text = Text(node, field);
        if (text is "true" or "false")
        {
            return text == "true";
        }

        if (text.Length > 0)
        {
            Error(node!, $"'{field}' is '{text}'; expected true or false");
        }

        return false;
    }

    private T Enum<T>(YamlNode? node, string what, IReadOnlyDictionary<string, T> values)
        where T : notnull
    {
        var text = Text(node, what);
        if (values.TryGetValue(text, out var value))
        {
            return value;
        }

        if (text.Length > 0)
        {
            Error(node!, $"unknown {what} '{text}'; expected one of: {string.Join(", ", values.Keys)}");
        }

        return values.Values.First();
    }

    private LocalizedText Localized(YamlNode? node, string field)
    {
        var fields = Map(node, field, null, "en", "zh-CN");
        if (node is not YamlMappingNode)
        {
            return new LocalizedText(string.Empty, string.Empty);
        }

        return new LocalizedText(Text(fields.Required("en"), "en"), Text(fields.Required("zh-CN"), "zh-CN"));
    }

    private ImmutableArray<string> Strings(YamlNode? node, string field)
    {
        if (Sequence(node, field) is not { } list)
        {
            return [];
        }

        return [.. list.Children.Select(item => Text(item, field)).Where(text => text.Length > 0)];
    }

    private string Reference(YamlNode? node, string field, Dictionary<string, YamlNode> declared, string kind, string user)
    {
        var key = Text(node, field);
        if (key.Length > 0)
        {
            references.Add((key, node!, declared, kind, user));
        }

        return key;
    }

    private ImmutableArray<string> References(YamlNode? node, string field, Dictionary<string, YamlNode> declared, string kind, string user)
    {
        if (Sequence(node, field) is not { } list)
        {
            return [];
        }

        var keys = ImmutableArray.CreateBuilder<string>(list.Children.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in list.Children)
        {
            var key = Reference(item, field, declared, kind, user);
            if (key.Length > 0 && !seen.Add(key))
            {
                Error(item, $"{user} lists {kind} '{key}' twice in '{field}'; expected each {kind} once");
            }
            else if (key.Length > 0)
            {
                keys.Add(key);
            }
        }

        return keys.ToImmutable();
    }

    private void Error(YamlNode node, string message) =>
        errors.Add(new PolicyError(file, (int)node.Start.Line, (int)node.Start.Column, message));

    internal static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Value: null or "" } => "an empty value",
        _ => "a single value",
    };

    private static readonly Dictionary<string, LegalBasis> Bases = new(StringComparer.Ordinal)
    {
        ["necessary"] = LegalBasis.Necessary,
        ["consent"] = LegalBasis.Consent,
        ["legal-obligation"] = LegalBasis.LegalObligation,
    };

    private static readonly Dictionary<string, Sensitivity> Sensitivities = new(StringComparer.Ordinal)
    {
        ["personal"] = Sensitivity.Personal,
        ["sensitive"] = Sensitivity.Sensitive,
    };

    private static readonly Dictionary<string, CollectionCondition> Conditions = new(StringComparer.Ordinal)
    {
        ["registration"] = CollectionCondition.Registration,
        ["account"] = CollectionCondition.Account,
        ["positioning"] = CollectionCondition.Positioning,
        ["cookies"] = CollectionCondition.Cookies,
        ["automatic"] = CollectionCondition.Automatic,
        ["derived"] = CollectionCondition.Derived,
    };

    private static readonly Dictionary<string, RecipientData> RecipientKinds = new(StringComparer.Ordinal)
    {
        ["de-identified"] = RecipientData.DeIdentified,
    };

    private static readonly Dictionary<string, string> IdentifyingRules = new(StringComparer.Ordinal)
    {
        ["explicit-authorization"] = "explicit-authorization",
    };

    private static readonly Dictionary<string, string> ContactKinds = new(StringComparer.Ordinal)
    {
        ["email"] = "email",
        ["web"] = "web",
        ["phone"] = "phone",
        ["post"] = "post",
    };

    private static readonly Dictionary<string, MaterialChange> MaterialChanges = new(StringComparer.Ordinal)
    {
        ["new-purpose"] = MaterialChange.NewPurpose,
        ["new-category"] = MaterialChange.NewCategory,
        ["new-recipient"] = MaterialChange.NewRecipient,
        ["longer-retention"] = MaterialChange.LongerRetention,
        ["cross-border-transfer"] = MaterialChange.CrossBorderTransfer,
    };

    // [0-9] rather than \d, which matches any Unicode digit; \z rather than $, which allows a final line break.
    [GeneratedRegex(@"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\z")]
    private static partial Regex SemanticVersion();

    [GeneratedRegex(@"^S[0-9]+\.[0-9]+\z")]
    private static partial Regex ClauseId();

    [GeneratedRegex(@"^(?=.{1,64}\z)[a-z0-9]+(-[a-z0-9]+)*\z")]
    private static partial Regex TransferId();

    /// <summary>The keys of one mapping: reports unknown keys once, and missing ones as they are asked for.</summary>
    private sealed class Fields
    {
        private readonly PolicyBinder binder;
        private readonly YamlMappingNode map;
        private readonly string what;
        private readonly bool silent;

        public Fields(PolicyBinder binder, YamlMappingNode map, string kind, string? idKey, string[] allowed, bool silent = false)
        {
            this.binder = binder;
            this.map = map;
            this.silent = silent;
            Name = idKey is null ? string.Empty : binder.Text(Required(idKey, kind), idKey);
            what = Name.Length > 0 ? $"{kind} '{Name}'" : kind;
            foreach (var key in map.Children.Keys)
            {
                if (key is not YamlScalarNode { Value: var name })
                {
                    binder.Error(key, $"a key in {what} is {Describe(key)}; expected one of: {string.Join(", ", allowed)}");
                }
                else if (!allowed.Contains(name, StringComparer.Ordinal))
                {
                    binder.Error(key, $"unknown key '{name}' in {what}; expected one of: {string.Join(", ", allowed)}");
                }
            }
        }

        /// <summary>The value of the mapping's id key, or empty.</summary>
        public string Name { get; }

        /// <summary>
        /// The value under <paramref name="key"/>, matched by the key's text alone: YamlDotNet's own lookup
        /// also compares tags, so it would miss <c>!!str version</c>, which the unknown-key check accepts.
        /// </summary>
        public YamlNode? Optional(string key) =>
            map.Children.FirstOrDefault(pair => pair.Key is YamlScalarNode { Value: var name } && name == key).Value;

        public YamlNode? Required(string key) => Required(key, what);

        private YamlNode? Required(string key, string owner)
        {
            var value = Optional(key);
            if (value is null && !silent)
            {
                binder.Error(map, $"missing key '{key}' in {owner}; expected a value for '{key}'");
            }

            return value;
        }
    }
}
