using System.Text;

namespace Konzen.Privacy.Policy.Rendering;

/// <summary>
/// Writes the policy as CommonMark (with GitHub tables). Anchors are inline HTML (<c>&lt;a id="S1.3"&gt;&lt;/a&gt;</c>)
/// because Markdown has no syntax for them and renderers derive heading ids differently.
/// </summary>
internal static class MarkdownWriter
{
    public static string Write(PolicyText policy)
    {
        var md = new StringBuilder(24 * 1024);
        md.Append("# ").Append(Escape(policy.Title)).Append("\n\n");
        AppendAnchor(md, policy.VersionLine.Anchor.Id);
        AppendInlines(md, policy.VersionLine.Content);
        md.Append(" · [").Append(Escape(policy.Switch.Label)).Append("](").Append(Destination(policy.Switch.Href)).Append(")\n\n");

        foreach (var section in policy.Sections)
        {
            md.Append("## ");
            AppendAnchor(md, section.Id);
            AppendInlines(md, section.Heading);
            md.Append("\n\n");
            foreach (var block in section.Blocks)
            {
                AppendBlock(md, block);
            }
        }

        return md.ToString();
    }

    private static void AppendBlock(StringBuilder md, Block block)
    {
        switch (block)
        {
            case Subheading heading:
                md.Append("### ");
                AppendInlines(md, heading.Text);
                md.Append("\n\n");
                break;
            case Paragraph paragraph:
                AppendAnchor(md, paragraph.Anchor.Id);
                AppendInlines(md, paragraph.Content);
                md.Append("\n\n");
                break;
            case BulletList list:
                foreach (var item in list.Items)
                {
                    md.Append("- ");
                    AppendAnchor(md, item.Anchor.Id);
                    AppendInlines(md, item.Content);
                    md.Append('\n');
                }

                md.Append('\n');
                break;
            case Table table:
                md.Append('|');
                for (var i = 0; i < table.Header.Length; i++)
                {
                    md.Append(' ');
                    if (i == 0)
                    {
                        AppendAnchor(md, table.Anchor.Id);
                    }

                    AppendInlines(md, table.Header[i], inTable: true);
                    md.Append(" |");
                }

                md.Append('\n').Insert(md.Length, "| --- ", table.Header.Length).Append("|\n");
                foreach (var row in table.Rows)
                {
                    md.Append('|');
                    foreach (var cell in row)
                    {
                        md.Append(' ');
                        AppendInlines(md, cell, inTable: true);
                        md.Append(" |");
                    }

                    md.Append('\n');
                }

                md.Append('\n');
                break;
            case GlossaryList glossary:
                foreach (var entry in glossary.Entries)
                {
                    AppendAnchor(md, entry.Anchor.Id);
                    AppendAnchor(md, "term-" + entry.TermId);
                    md.Append("**").Append(Escape(entry.Term)).Append("**: ");
                    AppendInlines(md, entry.Definition);
                    md.Append("\n\n");
                }

                break;
        }
    }

    private static void AppendAnchor(StringBuilder md, string id) =>
        md.Append("<a id=\"").Append(Escape(id)).Append("\"></a>");

    private static void AppendInlines(StringBuilder md, IEnumerable<Inline> content, bool inTable = false)
    {
        foreach (var inline in content)
        {
            switch (inline)
            {
                case TextRun run:
                    md.Append(Escape(run.Text, inTable));
                    break;
                case StrongRun strong:
                    md.Append("**").Append(Escape(strong.Text, inTable)).Append("**");
                    break;
                case TermLink term:
                    md.Append('[').Append(Escape(term.Text, inTable)).Append("](#term-").Append(Destination(term.Term)).Append(')');
                    break;
                case Link link:
                    md.Append('[').Append(Escape(link.Text, inTable)).Append("](").Append(Destination(link.Href)).Append(')');
                    break;
            }
        }
    }

    /// <summary>
    /// Escapes only what Markdown would otherwise read as markup or raw HTML: emphasis, code, links,
    /// tags and entities (so a name like <c>&lt;script&gt;</c> stays text), and the cell bar in tables.
    /// Line breaks become spaces so data can never end a paragraph or list item early.
    /// </summary>
    private static string Escape(string text, bool inTable = false)
    {
        var needs = false;
        foreach (var c in text)
        {
            if (c is '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '&' or '\n' or '\r' || (inTable && c == '|'))
            {
                needs = true;
                break;
            }
        }

        if (!needs)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '\n' or '\r':
                    escaped.Append(' ');
                    break;
                case '&' when i + 1 < text.Length && (char.IsAsciiLetter(text[i + 1]) || text[i + 1] == '#'):
                case '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>':
                case '|' when inTable:
                    escaped.Append('\\').Append(c);
                    break;
                default:
                    escaped.Append(c);
                    break;
            }
        }

        return escaped.ToString();
    }

    /// <summary>A link destination: characters that would end or break it are percent-encoded.</summary>
    private static string Destination(string href)
    {
        var encoded = new StringBuilder(href.Length);
        foreach (var c in href)
        {
            _ = c switch
            {
                ' ' => encoded.Append("%20"),
                '(' => encoded.Append("%28"),
                ')' => encoded.Append("%29"),
                '<' => encoded.Append("%3C"),
                '>' => encoded.Append("%3E"),
                '\\' => encoded.Append("%5C"),
                '\n' or '\r' => encoded,
                _ => encoded.Append(c),
            };
        }

        return encoded.ToString();
    }
}
