using System.Text;

namespace Konzen.Privacy.Policy.Rendering;

/// <summary>
/// Writes the policy as one self-contained HTML page: no scripts, no external styles or fonts, so
/// the page can be served, saved or archived as evidence exactly as the reader saw it. Every value is
/// HTML-encoded, including those that come from the policy file.
/// </summary>
internal static class HtmlWriter
{
    internal const string Style = """
        :root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--mark:#fff8c5;--link:#0969da}
        @media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--mark:#3b2e00;--link:#4493f8}}
        body{margin:0;font:16px/1.65 system-ui,-apple-system,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:var(--fg);background:Canvas}
        header,main{max-width:46rem;margin:0 auto;padding:0 1.25rem}
        header{padding-top:1.5rem;border-bottom:1px solid var(--line)}
        main{padding-bottom:3rem}
        nav.language{text-align:right;font-size:.95rem}
        h1{font-size:1.9rem;line-height:1.25;margin:.5rem 0}
        h2{font-size:1.35rem;line-height:1.3;margin:2.5rem 0 .75rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}
        h3{font-size:1.05rem;margin:1.6rem 0 .4rem}
        .version{color:var(--muted)}
        a{color:var(--link)}
        a.term{color:inherit;text-decoration:underline dotted var(--link);text-underline-offset:.2em}
        [data-clause]:target,dt:target{background:var(--mark)}
        ul{padding-left:1.4rem}
        li{margin:.4rem 0}
        .table{overflow-x:auto}
        table{border-collapse:collapse;width:100%;font-size:.95rem}
        th,td{text-align:left;vertical-align:top;padding:.45rem .6rem;border-bottom:1px solid var(--line)}
        dt{font-weight:600;margin-top:.9rem}
        dd{margin:.1rem 0 0}
        """;

    public static string Write(PolicyText policy)
    {
        var html = new StringBuilder(48 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"").Append(Encode(policy.LanguageTag)).Append("\">\n<head>\n")
            .Append("<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Encode(policy.Title)).Append("</title>\n")
            .Append("<style>\n").Append(Style).Append("\n</style>\n</head>\n<body>\n<header>\n")
            .Append("<nav class=\"language\"><a href=\"").Append(Encode(policy.Switch.Href))
            .Append("\" hreflang=\"").Append(Encode(policy.Switch.LanguageTag))
            .Append("\" lang=\"").Append(Encode(policy.Switch.LanguageTag)).Append("\">")
            .Append(Encode(policy.Switch.Label)).Append("</a></nav>\n")
            .Append("<h1>").Append(Encode(policy.Title)).Append("</h1>\n");
        AppendBlock(html, policy.VersionLine, "version");
        html.Append("</header>\n<main>\n");

        foreach (var section in policy.Sections)
        {
            html.Append("<section>\n<h2 id=\"").Append(Encode(section.Id)).Append("\">");
            AppendInlines(html, section.Heading);
            html.Append("</h2>\n");
            foreach (var block in section.Blocks)
            {
                AppendBlock(html, block);
            }

            html.Append("</section>\n");
        }

        html.Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void AppendBlock(StringBuilder html, Block block, string? cssClass = null)
    {
        switch (block)
        {
            case Subheading heading:
                html.Append("<h3>");
                AppendInlines(html, heading.Text);
                html.Append("</h3>\n");
                break;
            case Paragraph paragraph:
                html.Append("<p");
                if (cssClass is not null)
                {
                    html.Append(" class=\"").Append(cssClass).Append('"');
                }

                AppendAnchor(html, paragraph.Anchor);
                AppendInlines(html, paragraph.Content);
                html.Append("</p>\n");
                break;
            case BulletList list:
                html.Append("<ul>\n");
                foreach (var item in list.Items)
                {
                    html.Append("<li");
                    AppendAnchor(html, item.Anchor);
                    AppendInlines(html, item.Content);
                    html.Append("</li>\n");
                }

                html.Append("</ul>\n");
                break;
            case Table table:
                html.Append("<div class=\"table\">\n<table");
                AppendAnchor(html, table.Anchor);
                html.Append("\n<thead>\n<tr>");
                foreach (var cell in table.Header)
                {
                    html.Append("<th scope=\"col\">");
                    AppendInlines(html, cell);
                    html.Append("</th>");
                }

                html.Append("</tr>\n</thead>\n<tbody>\n");
                foreach (var row in table.Rows)
                {
                    html.Append("<tr>");
                    foreach (var cell in row)
                    {
                        html.Append("<td>");
                        AppendInlines(html, cell);
                        html.Append("</td>");
                    }

                    html.Append("</tr>\n");
                }

                html.Append("</tbody>\n</table>\n</div>\n");
                break;
            case GlossaryList glossary:
                html.Append("<dl>\n");
                foreach (var entry in glossary.Entries)
                {
                    html.Append("<dt id=\"term-").Append(Encode(entry.TermId)).Append("\">").Append(Encode(entry.Term)).Append("</dt>\n<dd");
                    AppendAnchor(html, entry.Anchor);
                    AppendInlines(html, entry.Definition);
                    html.Append("</dd>\n");
                }

                html.Append("</dl>\n");
                break;
        }
    }

    /// <summary>Closes the open tag with the block's anchor and its clause.</summary>
    private static void AppendAnchor(StringBuilder html, Anchor anchor) =>
        html.Append(" id=\"").Append(Encode(anchor.Id)).Append("\" data-clause=\"").Append(Encode(anchor.Clause)).Append("\">");

    private static void AppendInlines(StringBuilder html, IEnumerable<Inline> content)
    {
        foreach (var inline in content)
        {
            switch (inline)
            {
                case TextRun run:
                    html.Append(Encode(run.Text));
                    break;
                case StrongRun strong:
                    html.Append("<strong>").Append(Encode(strong.Text)).Append("</strong>");
                    break;
                case TermLink term:
                    html.Append("<a class=\"term\" href=\"#term-").Append(Encode(term.Term)).Append("\">").Append(Encode(term.Text)).Append("</a>");
                    break;
                case Link link:
                    html.Append("<a href=\"").Append(Encode(link.Href)).Append("\">").Append(Encode(link.Text)).Append("</a>");
                    break;
            }
        }
    }

    /// <summary>Encodes the five characters that matter in text and quoted attributes; everything else, Chinese included, stays readable.</summary>
    private static string Encode(string text)
    {
        if (text.AsSpan().IndexOfAny("&<>\"'") < 0)
        {
            return text;
        }

        var encoded = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            _ = c switch
            {
                '&' => encoded.Append("&amp;"),
                '<' => encoded.Append("&lt;"),
                '>' => encoded.Append("&gt;"),
                '"' => encoded.Append("&quot;"),
                '\'' => encoded.Append("&#39;"),
                _ => encoded.Append(c),
            };
        }

        return encoded.ToString();
    }
}
