using System.Collections.Immutable;

namespace Konzen.Privacy.Policy.Rendering;

// The rendered policy as a small document model. It is composed once from the policy data and the
// string table, then written out as Markdown or HTML, so both formats carry the same text and the
// same clause anchors.

/// <summary>The whole rendered policy in one language.</summary>
internal sealed record PolicyText(
    string LanguageTag,
    string Title,
    Paragraph VersionLine,
    LanguageSwitch Switch,
    ImmutableArray<Section> Sections);

/// <summary>The link to the same policy in the other language.</summary>
internal sealed record LanguageSwitch(string Href, string LanguageTag, string Label);

/// <summary>A top-level section; <paramref name="Id"/> is its heading's anchor (<c>section-1</c>, <c>glossary</c>).</summary>
internal sealed record Section(string Id, ImmutableArray<Inline> Heading, ImmutableArray<Block> Blocks);

/// <summary>Where a block sits: the clause it belongs to and its unique anchor (<c>S4.2</c>, <c>S4.2-2</c>, …).</summary>
internal readonly record struct Anchor(string Clause, string Id);

internal abstract record Block;

internal sealed record Subheading(ImmutableArray<Inline> Text) : Block;

internal sealed record Paragraph(Anchor Anchor, ImmutableArray<Inline> Content) : Block;

internal sealed record BulletList(ImmutableArray<ListItem> Items) : Block;

internal sealed record ListItem(Anchor Anchor, ImmutableArray<Inline> Content);

internal sealed record Table(
    Anchor Anchor,
    ImmutableArray<ImmutableArray<Inline>> Header,
    ImmutableArray<ImmutableArray<ImmutableArray<Inline>>> Rows) : Block;

internal sealed record GlossaryList(ImmutableArray<GlossaryEntry> Entries) : Block;

/// <summary>A glossary entry; <paramref name="TermId"/> makes its anchor <c>term-{TermId}</c>.</summary>
internal sealed record GlossaryEntry(Anchor Anchor, string TermId, string Term, ImmutableArray<Inline> Definition);

internal abstract record Inline;

/// <summary>Plain text; the writers escape it for their format.</summary>
internal sealed record TextRun(string Text) : Inline;

internal sealed record StrongRun(string Text) : Inline;

/// <summary>A technical term linked to its glossary entry.</summary>
internal sealed record TermLink(string Term, string Text) : Inline;

/// <summary>A link to an anchor on the page (<c>#S0.4</c>) or to a contact address.</summary>
internal sealed record Link(string Href, string Text) : Inline;
