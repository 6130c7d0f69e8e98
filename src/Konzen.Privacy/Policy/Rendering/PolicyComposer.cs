using System.Collections.Immutable;

namespace Konzen.Privacy.Policy.Rendering;

/// <summary>
/// Composes the <see cref="PolicyText"/> of one policy in one language. The string table supplies the
/// connecting sentences; every fact (category, purpose, basis, recipient, store, period, age, contact)
/// is taken from the <see cref="PolicyDocument"/>, so the text cannot promise what the data does not
/// declare. Blocks are grouped by the clause ids the data assigns, and each block gets a unique anchor.
/// </summary>
internal sealed class PolicyComposer
{
    private readonly PolicyDocument policy;
    private readonly PolicyLanguage language;
    private readonly TextTable text;
    private readonly Dictionary<string, DataCategory> categories;
    private readonly Dictionary<string, Purpose> purposes;
    private readonly Dictionary<string, int> anchorUses = new(StringComparer.Ordinal);
    private readonly ImmutableArray<Section>.Builder sections = ImmutableArray.CreateBuilder<Section>();
    private readonly List<Block> blocks = [];
    private readonly List<ListItem> items = [];

    private PolicyComposer(PolicyDocument policy, PolicyLanguage language)
    {
        this.policy = policy;
        this.language = language;
        text = TextTable.For(language);
        categories = policy.Categories.ToDictionary(c => c.Key, StringComparer.Ordinal);
        purposes = policy.Purposes.ToDictionary(p => p.Key, StringComparer.Ordinal);
    }

    public static PolicyText Compose(PolicyDocument policy, PolicyLanguage language) => new PolicyComposer(policy, language).Compose();

    private PolicyText Compose()
    {
        var title = Plain(T("document.title", Slot.Of("controller", policy.Controller.Name[language])));
        var version = new Paragraph(NextAnchor("S7.1"), T("document.version",
            Slot.Of("version", policy.Version.Number), new Slot("effective", Date(policy.Version.Effective))));

        Introduction();
        Collection();
        Storage();
        Security();
        Use();
        Sharing();
        Rights();
        Changes();
        Minors();
        Glossary();

        var other = language == PolicyLanguage.ZhCn ? PolicyLanguage.En : PolicyLanguage.ZhCn;
        var switchLink = new LanguageSwitch("?lang=" + other.Tag(), other.Tag(), Plain(T("document.switch-label")));
        return new PolicyText(language.Tag(), title, version, switchLink, sections.ToImmutable());
    }

    private void Introduction()
    {
        Paragraph("S0.1", T("intro.what",
            Slot.Of("service", policy.Controller.Service[language]), Slot.Of("controller", policy.Controller.Name[language])));
        Paragraph("S0.2", T("intro.terms"));

        var optional = policy.Purposes.Where(p => p.Optional).Select(p => p.Name[language]).ToList();
        Paragraph("S0.3", optional.Count > 0
            ? T("intro.agreement", new Slot("optional", And(optional)))
            : T("intro.agreement-necessary-only"));

        Paragraph("S0.4", T("intro.contact", new Slot("period", Period(policy.Rights.ResponseWorkingDays, "working-day"))));
        foreach (var channel in policy.Controller.Contact)
        {
            Item("S0.4", T("intro.channel",
                new Slot("kind", Word("contact", channel.Kind)), new Slot("address", [ContactAddress(channel)])));
        }

        EndSection("introduction");
    }

    private void Collection()
    {
        var required = policy.Registration.RequiresOneOf.Select(CategoryName);
        Paragraph("S1.1", T("collect.registration", new Slot("required", Names(required, "list.or"))));

        var cookieChoicesSaid = false;
        foreach (var group in policy.Categories.GroupBy(c => c.Clause, StringComparer.Ordinal))
        {
            var clause = group.Key;
            var lead = text.Find($"collect.{clause}.lead");
            var stated = lead is null ? null : Plain(text[$"collect.{clause}.condition"].Fill([]));
            Subheading((text.Find($"collect.{clause}.heading") ?? text["collect.other.heading"]).Fill([]));
            Paragraph(clause, (lead ?? text["collect.other.lead"]).Fill([]));
            foreach (var category in group)
            {
                Item(clause, CollectedItem(category, stated));
            }

            if (group.Any(c => c.Collected == CollectionCondition.Positioning))
            {
                Paragraph("S1.4", T("collect.positioning-off"));
            }

            if (!cookieChoicesSaid && group.Any(c => c.Collected == CollectionCondition.Cookies))
            {
                Paragraph("S1.6", T("collect.cookie-choices"));
                cookieChoicesSaid = true;
            }
        }

        EndSection("section-1");
    }

    /// <summary>A category's name, then how it is collected unless the lead already said so, its sources and its sensitivity.</summary>
    private ImmutableArray<Inline> CollectedItem(DataCategory category, string? statedCondition)
    {
        var details = new List<ImmutableArray<Inline>>(3);
        var condition = Token(category.Collected);
        if (condition != statedCondition)
        {
            details.Add(Word("collected", condition));
        }

        if (!category.Sources.IsEmpty)
        {
            details.Add(T("collect.sources", new Slot("sources", Join([.. category.Sources.Select(s => Word("source", s))], "list.or"))));
        }

        if (category.Sensitivity == Sensitivity.Sensitive)
        {
            details.Add(T("collect.sensitive"));
        }

        var name = new Slot("name", [new StrongRun(Capitalized(category.Name[language]))]);
        return details.Count == 0
            ? T("collect.item-name", name)
            : T("collect.item", name, new Slot("details", Join(details, "collect.detail-separator", "collect.detail-separator")));
    }

    private void Storage()
    {
        Subheading(T("storage.heading"));
        Paragraph("S2.1", T("storage.stores", new Slot("stores", And(policy.Stores.Select(s => s.Name[language])))));
        Table("S2.1",
            [T("storage.table.category"), T("storage.table.stores"), T("storage.table.retention")],
            [.. policy.Categories.Select(c => ImmutableArray.Create(
                ImmutableArray.Create<Inline>(new TextRun(Capitalized(c.Name[language]))),
                And(c.Stores.Select(StoreName)),
                RetentionWords(c.Retention)))]);
        Paragraph("S2.2", T("storage.necessity"));

        Subheading(T("storage.region-heading"));
        var home = RegionName(policy.Controller.Region);
        var byRegion = policy.Categories.GroupBy(c => c.Region, StringComparer.Ordinal).ToList();
        if (byRegion.Count == 0 || (byRegion.Count == 1 && byRegion[0].Key == policy.Controller.Region))
        {
            Paragraph("S2.3", T("storage.region-all", Slot.Of("region", home)));
        }
        else
        {
            foreach (var group in byRegion)
            {
                Paragraph("S2.3", T("storage.region-some",
                    Slot.Of("region", RegionName(group.Key)), new Slot("categories", And(group.Select(c => c.Name[language])))));
            }
        }

        if (policy.CrossBorderTransfers.IsEmpty)
        {
            Paragraph("S2.4", T("storage.no-transfer", Slot.Of("region", home)));
        }
        else
        {
            Paragraph("S2.4", T("storage.transfers", Slot.Of("region", home)));
            foreach (var transfer in policy.CrossBorderTransfers)
            {
                Item("S2.4", T("storage.transfer",
                    Slot.Of("recipient", RecipientName(transfer.Recipient)),
                    Slot.Of("region", RegionName(transfer.ToRegion)),
                    new Slot("categories", And(transfer.Categories.Select(CategoryName))),
                    new Slot("purposes", And(transfer.Purposes.Select(PurposeName))),
                    Slot.Of("measures", transfer.SecurityMeasures[language]),
                    Slot.Of("risks", transfer.Risks[language])));
            }
        }

        Subheading(T("storage.cessation-heading"));
        Paragraph("S2.5", T("storage.cessation", new Slot("period", Period(policy.Cessation.DeletionWithinDays, "day"))));
        EndSection("section-2");
    }

    private void Security()
    {
        Paragraph("S3.1", T("security.measures"));
        Paragraph("S3.2", T("security.encryption",
            Slot.Of("in_transit", policy.Security.InTransit), Slot.Of("at_rest", policy.Security.AtRest)));
        Paragraph("S3.3", T("security.limits"));
        EndSection("section-3");
    }

    private void Use()
    {
        Paragraph("S4.9", T("use.intro"));
        foreach (var group in policy.Purposes.GroupBy(p => p.Clause, StringComparer.Ordinal))
        {
            foreach (var purpose in group)
            {
                Item(group.Key, PurposeItem(purpose));
            }

            if (text.Find($"use.note.{group.Key}") is { } note)
            {
                Paragraph(group.Key, note.Fill([]));
            }
        }

        Paragraph("S4.9", T("use.limit"));
        EndSection("section-4");
    }

    private ImmutableArray<Inline> PurposeItem(Purpose purpose)
    {
        // A consent purpose is always optional (the loader enforces it); a necessary one may still be
        // offered as optional, and then the reader must learn that it can be turned off.
        var choice = purpose.Optional || purpose.Basis == LegalBasis.Consent
            ? T("use.optional")
            : T("use.fixed." + Token(purpose.Basis));
        return T("use.purpose",
            new Slot("name", [new StrongRun(Capitalized(purpose.Name[language]))]),
            Slot.Of("description", purpose.Description[language]),
            new Slot("basis", Word("basis", Token(purpose.Basis))),
            new Slot("categories", And(purpose.Categories.Select(CategoryName))),
            new Slot("choice", choice));
    }

    private void Sharing()
    {
        var sharing = policy.Sharing;
        Paragraph("S5.1", T("sharing.consent"));
        if (sharing.Recipients.IsEmpty)
        {
            Paragraph("S5.2", T("sharing.no-recipients"));
        }
        else
        {
            Paragraph("S5.2", T("sharing.recipients", Slot.Of("k", sharing.KAnonymity)));
            foreach (var recipient in sharing.Recipients)
            {
                Item(recipient.Clause, T("sharing.recipient",
                    new Slot("name", [new StrongRun(Capitalized(recipient.Name[language]))]),
                    new Slot("receives", Word("receives", Token(recipient.Receives))),
                    new Slot("agreements", Join([.. recipient.Agreements.Select(a => Word("agreement", a))], "list.and")),
                    new Slot("purposes", And(recipient.Purposes.Select(PurposeName))),
                    new Slot("categories", And(recipient.Categories.Select(CategoryName)))));
            }
        }

        var identifying = policy.Categories.Where(c => c.IdentifiesDirectly).Select(c => c.Name[language]).ToList();
        Paragraph("S5.3", identifying.Count > 0
            ? T("sharing.identifying", new Slot("categories", And(identifying)))
            : T("sharing.identifying-general"));

        Paragraph("S5.4", T("sharing.public",
            new Slot("notice", Join([.. sharing.PublicDisclosureNotice.Select(n => Word("notice", n))], "list.and"))));

        var merger = new List<Inline>();
        if (sharing.MergerNotify)
        {
            merger.AddRange(T("sharing.merger-notify"));
        }

        if (sharing.MergerSameProtection)
        {
            merger.AddRange(merger.Count > 0 ? T("document.sentence-gap") : []);
            merger.AddRange(T("sharing.merger-protect"));
        }

        if (merger.Count > 0)
        {
            Paragraph("S5.5", [.. merger]);
        }

        if (!sharing.LegalExceptions.IsEmpty)
        {
            Paragraph("S5.6", T("sharing.exceptions"));
            foreach (var exception in sharing.LegalExceptions)
            {
                Item("S5.6", [new TextRun(Capitalized(exception.Name[language]))]);
            }
        }

        EndSection("section-5");
    }

    private void Rights()
    {
        var rights = policy.Rights;
        Paragraph("S6.1", T("rights.intro"));
        foreach (var right in rights.List)
        {
            Item(right.Clause, [new TextRun(Capitalized(right.Name[language]))]);
        }

        Paragraph("S6.2", T("rights.complaints"));
        Paragraph("S6.3", T("rights.requests", new Slot("period", Period(rights.ResponseWorkingDays, "working-day"))));
        Paragraph("S6.4", rights.CancellationCoolingOffDays > 0
            ? T("rights.cancellation", new Slot("period", Period(rights.CancellationCoolingOffDays, "day")))
            : T("rights.cancellation-immediate"));
        EndSection("section-6");
    }

    private void Changes()
    {
        var changes = policy.Changes;
        Paragraph("S7.1", changes.NoticeDays > 0
            ? T("changes.versions", new Slot("period", Period(changes.NoticeDays, "day")))
            : T("changes.versions-immediate"));
        if (changes.Material.IsEmpty)
        {
            Paragraph("S7.2", T("changes.agreement-all"));
        }
        else
        {
            Paragraph("S7.2", T("changes.agreement"));
            foreach (var change in changes.Material)
            {
                Item("S7.2", Capitalized(Word("material", Token(change))));
            }
        }

        EndSection("section-7");
    }

    private void Minors()
    {
        var minors = policy.Minors;
        Paragraph("S8.1", T("minors.guardian", Slot.Of("adult", minors.AdultAge)));
        if (!minors.ExcludedPurposes.IsEmpty)
        {
            Paragraph("S8.1", T("minors.excluded",
                Slot.Of("adult", minors.AdultAge), new Slot("purposes", And(minors.ExcludedPurposes.Select(PurposeName)))));
        }

        Paragraph("S8.1", minors.ChildBeforeGuardianConsent.IsEmpty
            ? T("minors.children-none", Slot.Of("child", minors.ChildAge))
            : T("minors.children", Slot.Of("child", minors.ChildAge), new Slot("purposes", And(minors.ChildBeforeGuardianConsent.Select(PurposeName)))));
        EndSection("section-8");
    }

    /// <summary>
    /// Lists exactly the terms the text links to, in the table's order: an entry nobody links to is
    /// noise, and a link without an entry is a broken promise of S0.2, so it fails the render.
    /// </summary>
    private void Glossary()
    {
        var used = sections.SelectMany(s => s.Blocks).SelectMany(Inlines).OfType<TermLink>()
            .Select(link => link.Term).ToHashSet(StringComparer.Ordinal);
        var missing = used.Except(text.GlossaryTerms, StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"The text links to terms the glossary does not explain: {string.Join(", ", missing)}.");
        }

        var entries = text.GlossaryTerms.Where(used.Contains)
            .Select(id => new GlossaryEntry(NextAnchor("S0.2"), id, Plain(T($"glossary.{id}.term")),
                T($"glossary.{id}.text", Slot.Of("child", policy.Minors.ChildAge))))
            .ToImmutableArray();
        blocks.Add(new GlossaryList(entries));
        EndSection("glossary");
    }

    // ---- blocks ----

    private void Paragraph(string clause, ImmutableArray<Inline> content)
    {
        FlushList();
        blocks.Add(new Paragraph(NextAnchor(clause), content));
    }

    private void Item(string clause, ImmutableArray<Inline> content) => items.Add(new ListItem(NextAnchor(clause), content));

    private void Subheading(ImmutableArray<Inline> content)
    {
        FlushList();
        blocks.Add(new Subheading(content));
    }

    private void Table(string clause, ImmutableArray<ImmutableArray<Inline>> header, ImmutableArray<ImmutableArray<ImmutableArray<Inline>>> rows)
    {
        FlushList();
        blocks.Add(new Table(NextAnchor(clause), header, rows));
    }

    private void FlushList()
    {
        if (items.Count > 0)
        {
            blocks.Add(new BulletList([.. items]));
            items.Clear();
        }
    }

    private void EndSection(string id)
    {
        FlushList();
        sections.Add(new Section(id, T("heading." + id), [.. blocks]));
        blocks.Clear();
    }

    /// <summary>The first block of a clause is anchored by the clause id itself, later ones by <c>S4.2-2</c>, <c>S4.2-3</c>, ….</summary>
    private Anchor NextAnchor(string clause)
    {
        var uses = anchorUses.GetValueOrDefault(clause) + 1;
        anchorUses[clause] = uses;
        return new Anchor(clause, uses == 1 ? clause : $"{clause}-{uses}");
    }

    private static IEnumerable<Inline> Inlines(Block block) => block switch
    {
        Paragraph p => p.Content,
        BulletList l => l.Items.SelectMany(i => i.Content),
        Table t => t.Header.SelectMany(c => c).Concat(t.Rows.SelectMany(r => r.SelectMany(c => c))),
        GlossaryList g => g.Entries.SelectMany(e => e.Definition),
        Subheading h => h.Text,
        _ => [],
    };

    // ---- words ----

    private ImmutableArray<Inline> T(string key, params ReadOnlySpan<Slot> slots) => text[key].Fill(slots);

    /// <summary>The words for a value of the policy file; a value the table does not know is shown as written.</summary>
    private ImmutableArray<Inline> Word(string group, string value) =>
        text.Find($"{group}.{value}")?.Fill([]) ?? [new TextRun(value)];

    private ImmutableArray<Inline> And(IEnumerable<string> names) => Names(names, "list.and");

    private ImmutableArray<Inline> Names(IEnumerable<string> names, string lastKey) =>
        Join([.. names.Select(n => ImmutableArray.Create<Inline>(new TextRun(n)))], lastKey);

    /// <summary>"a, b and c" in English, "a、b和c" in Chinese: the joining words come from the table.</summary>
    private ImmutableArray<Inline> Join(List<ImmutableArray<Inline>> parts, string lastKey, string separatorKey = "list.separator")
    {
        var joined = ImmutableArray.CreateBuilder<Inline>();
        for (var i = 0; i < parts.Count; i++)
        {
            if (i > 0)
            {
                joined.AddRange(T(i == parts.Count - 1 ? lastKey : separatorKey));
            }

            joined.AddRange(parts[i]);
        }

        return joined.ToImmutable();
    }

    private ImmutableArray<Inline> Period(int count, string unit) =>
        T($"duration.{unit}.{(count == 1 ? "one" : "other")}", Slot.Of("n", count));

    private ImmutableArray<Inline> RetentionWords(RetentionPeriod retention)
    {
        if (retention.UntilAccountCancellation)
        {
            return T("duration.until-cancellation");
        }

        var parts = new List<ImmutableArray<Inline>>(3);
        if (retention.Years > 0)
        {
            parts.Add(Period(retention.Years, "year"));
        }

        if (retention.Months > 0)
        {
            parts.Add(Period(retention.Months, "month"));
        }

        if (retention.Days > 0)
        {
            parts.Add(Period(retention.Days, "day"));
        }

        return Join(parts, "duration.last", "duration.separator");
    }

    private ImmutableArray<Inline> Date(DateOnly date) => T("document.date",
        Slot.Of("day", date.Day), Slot.Of("month", Plain(T($"document.months.{date.Month}"))), Slot.Of("year", date.Year));

    private static Inline ContactAddress(ContactChannel channel) => channel.Kind switch
    {
        "email" => new Link("mailto:" + channel.Address, channel.Address),
        "phone" => new Link("tel:" + new string([.. channel.Address.Where(c => char.IsAsciiDigit(c) || c == '+')]), channel.Address),
        // Only site paths and http(s) addresses become links: a policy file must not be able to
        // put a javascript: or data: address behind a link on the policy page.
        "web" when IsSafeWebAddress(channel.Address) => new Link(channel.Address, channel.Address),
        _ => new TextRun(channel.Address),
    };

    private static bool IsSafeWebAddress(string address) =>
        (address.StartsWith('/') && !address.StartsWith("//", StringComparison.Ordinal)) ||
        address.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ||
        address.StartsWith("http://", StringComparison.OrdinalIgnoreCase);

    private string CategoryName(string key) => categories.TryGetValue(key, out var c) ? c.Name[language] : key;

    private string PurposeName(string key) => purposes.TryGetValue(key, out var p) ? p.Name[language] : key;

    private string StoreName(string id) => policy.Stores.FirstOrDefault(s => s.Id == id)?.Name[language] ?? id;

    private string RegionName(string id) => policy.Regions.FirstOrDefault(r => r.Id == id)?.Name[language] ?? id;

    private string RecipientName(string key) => policy.Sharing.Recipients.FirstOrDefault(r => r.Key == key)?.Name[language] ?? key;

    /// <summary>Names in the data are written to fit mid-sentence; at the start of a list item English wants a capital.</summary>
    private string Capitalized(string value) =>
        language == PolicyLanguage.En && value.Length > 0 && char.IsLower(value[0])
            ? char.ToUpperInvariant(value[0]) + value[1..]
            : value;

    private ImmutableArray<Inline> Capitalized(ImmutableArray<Inline> content) =>
        content.Length > 0 && content[0] is TextRun first ? content.SetItem(0, new TextRun(Capitalized(first.Text))) : content;

    private static string Plain(IEnumerable<Inline> content) => string.Concat(content.Select(inline => inline switch
    {
        TextRun t => t.Text,
        StrongRun s => s.Text,
        TermLink t => t.Text,
        Link l => l.Text,
        _ => string.Empty,
    }));

    private static string Token(CollectionCondition condition) => condition switch
    {
        CollectionCondition.Registration => "registration",
        CollectionCondition.Account => "account",
        CollectionCondition.Positioning => "positioning",
        CollectionCondition.Cookies => "cookies",
        CollectionCondition.Automatic => "automatic",
        _ => "derived",
    };

    private static string Token(LegalBasis basis) => basis switch
    {
        LegalBasis.Necessary => "necessary",
        LegalBasis.Consent => "consent",
        _ => "legal-obligation",
    };

    // De-identified data is the only kind a recipient may receive today (the loader knows no other).
    private static string Token(RecipientData receives) => receives == RecipientData.DeIdentified ? "de-identified" : receives.ToString();

    private static string Token(MaterialChange change) => change switch
    {
        MaterialChange.NewPurpose => "new-purpose",
        MaterialChange.NewCategory => "new-category",
        MaterialChange.NewRecipient => "new-recipient",
        MaterialChange.LongerRetention => "longer-retention",
        _ => "cross-border-transfer",
    };
}
