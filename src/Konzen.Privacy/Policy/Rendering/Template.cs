using System.Collections.Immutable;

namespace Konzen.Privacy.Policy.Rendering;

/// <summary>A value for one placeholder of a <see cref="Template"/>.</summary>
internal readonly record struct Slot(string Name, IReadOnlyList<Inline> Value)
{
    public static Slot Of(string name, string text) => new(name, [new TextRun(text)]);

    public static Slot Of(string name, int number) =>
        new(name, [new TextRun(number.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
}

/// <summary>
/// One fixed sentence of the string table, parsed once. <c>{name}</c> is a placeholder,
/// <c>[[term|text]]</c> links <c>text</c> to the glossary entry <c>term</c>, and <c>[[#anchor|text]]</c>
/// links to an anchor on the page. The template is parsed before any value is put in, so text that
/// comes from the policy data is never read as markup.
/// </summary>
internal sealed class Template
{
    private readonly Segment[] segments;

    private Template(string key, Segment[] segments)
    {
        Key = key;
        this.segments = segments;
    }

    public string Key { get; }

    public IEnumerable<string> SlotNames => segments.Where(s => s.Kind == SegmentKind.Slot).Select(s => s.Value);

    public IEnumerable<string> TermIds => segments.Where(s => s.Kind == SegmentKind.Term).Select(s => s.Value);

    public static Template Parse(string key, string text)
    {
        var segments = new List<Segment>();
        var literal = 0;
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '{')
            {
                var end = text.IndexOf('}', i + 1);
                if (end < 0)
                {
                    throw new FormatException($"Template '{key}' has an unclosed '{{' at {i}.");
                }

                AddLiteral(segments, text, literal, i);
                segments.Add(new Segment(SegmentKind.Slot, text[(i + 1)..end], string.Empty));
                i = literal = end + 1;
            }
            else if (text[i] == '[' && i + 1 < text.Length && text[i + 1] == '[')
            {
                var end = text.IndexOf("]]", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw new FormatException($"Template '{key}' has an unclosed '[[' at {i}.");
                }

                AddLiteral(segments, text, literal, i);
                var inner = text[(i + 2)..end];
                var bar = inner.IndexOf('|', StringComparison.Ordinal);
                var target = bar < 0 ? inner : inner[..bar];
                var label = bar < 0 ? inner : inner[(bar + 1)..];
                segments.Add(target.StartsWith('#')
                    ? new Segment(SegmentKind.Link, target, label)
                    : new Segment(SegmentKind.Term, target, label));
                i = literal = end + 2;
            }
            else
            {
                i++;
            }
        }

        AddLiteral(segments, text, literal, text.Length);
        return new Template(key, [.. segments]);
    }

    /// <summary>The sentence with its placeholders filled; a placeholder without a value is a bug in the caller.</summary>
    public ImmutableArray<Inline> Fill(ReadOnlySpan<Slot> slots)
    {
        var content = ImmutableArray.CreateBuilder<Inline>(segments.Length);
        foreach (var segment in segments)
        {
            switch (segment.Kind)
            {
                case SegmentKind.Literal:
                    content.Add(new TextRun(segment.Value));
                    break;
                case SegmentKind.Term:
                    content.Add(new TermLink(segment.Value, segment.Text));
                    break;
                case SegmentKind.Link:
                    content.Add(new Link(segment.Value, segment.Text));
                    break;
                default:
                    content.AddRange(Find(slots, segment.Value));
                    break;
            }
        }

        return content.DrainToImmutable();
    }

    private IReadOnlyList<Inline> Find(ReadOnlySpan<Slot> slots, string name)
    {
        foreach (var slot in slots)
        {
            if (slot.Name == name)
            {
                return slot.Value;
            }
        }

        throw new InvalidOperationException($"Template '{Key}' needs a value for '{{{name}}}'.");
    }

    private static void AddLiteral(List<Segment> segments, string text, int start, int end)
    {
        if (end > start)
        {
            segments.Add(new Segment(SegmentKind.Literal, text[start..end], string.Empty));
        }
    }

    private enum SegmentKind
    {
        Literal,
        Slot,
        Term,
        Link,
    }

    private readonly record struct Segment(SegmentKind Kind, string Value, string Text);
}
