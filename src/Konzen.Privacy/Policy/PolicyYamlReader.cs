using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Konzen.Privacy.Policy;

/// <summary>
/// Reads a policy file's text into a YAML node tree, turning every way the text can fail to be YAML
/// into one <see cref="PolicyError"/> with a useful position. YamlDotNet reports most syntax errors
/// well, but not all: some malformed input makes it throw exceptions that are not
/// <see cref="YamlException"/> (aaubry/YamlDotNet#541), some errors carry the position of the enclosing
/// node instead of the culprit, and deep nesting overflows the stack of its recursive node loader,
/// which would end the process. Each case is handled here so that the loader never throws.
/// </summary>
internal static partial class PolicyYamlReader
{
    /// <summary>The policy itself nests five levels; 64 leaves room while keeping the node loader far from the stack's end.</summary>
    public const int MaxDepth = 64;

    private const string Expected = "expected well-formed YAML";

    private const string DuplicateKeyPrefix = "Duplicate key ";

    /// <summary>Parses <paramref name="yaml"/>; on failure returns null and the one error that stopped the parser.</summary>
    public static YamlStream? Read(string yaml, string fileName, out PolicyError? error)
    {
        var scanner = new Scanner(new StringReader(yaml));
        var parser = new GuardedParser(new Parser(scanner));
        var stream = new YamlStream();
        try
        {
            stream.Load(parser);
            error = null;
            return stream;
        }
        catch (YamlException e)
        {
            var (at, message) = Explain(e, yaml, parser);
            error = new PolicyError(fileName, (int)at.Line, (int)at.Column, $"invalid YAML: {message}");
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // YamlDotNet's own state broke (seen: InvalidOperationException from its scanner,
            // ArgumentException from its node loader). Whatever the type, the text is at fault, not
            // the caller. The innermost flow collection still open is the usual culprit: a '[' or '{'
            // whose items run onto a line less indented than its key.
            var (at, message) = parser.InnermostOpen switch
            {
                SequenceStart { Style: SequenceStyle.Flow } list =>
                    (list.Start, "the list opened here with '[' cannot be read to its end; expected its items indented under its key and a closing ']'"),
                MappingStart { Style: MappingStyle.Flow } map =>
                    (map.Start, "the mapping opened here with '{' cannot be read to its end; expected its entries indented under its key and a closing '}'"),
                _ => (parser.Current?.Start ?? scanner.CurrentPosition, $"the text cannot be read as YAML here; {Expected}"),
            };
            error = new PolicyError(fileName, (int)at.Line, (int)at.Column, $"invalid YAML: {message}");
            return null;
        }
    }

    private static (Mark At, string Message) Explain(YamlException e, string yaml, GuardedParser parser)
    {
        if (e is AnchorNotFoundException && parser.FirstUndefinedAlias() is { } alias)
        {
            // YamlDotNet resolves aliases at the end of the document and reports them at its start.
            return (alias.Start, $"alias '*{alias.Value.Value}' refers to no anchor; expected an anchor '&{alias.Value.Value}' defined before it");
        }

        var message = MarkPrefix().Replace(e.Message, string.Empty).TrimEnd('.');
        if (message.StartsWith(DuplicateKeyPrefix, StringComparison.Ordinal))
        {
            return (e.Start, $"key '{message[DuplicateKeyPrefix.Length..]}' appears twice in this mapping; expected each key once");
        }

        if (message.Contains("tab", StringComparison.OrdinalIgnoreCase))
        {
            // YamlDotNet may place a tab error at the start of the enclosing mapping; point at the tab.
            return (IndentingTabFrom(yaml, (int)e.Start.Line) ?? e.Start, "a tab is used for indentation; expected spaces");
        }

        return (e.Start, message.Contains("expected", StringComparison.Ordinal) ? message : $"{message}; {Expected}");
    }

    /// <summary>The first tab in the indentation of a line at or after <paramref name="fromLine"/> (1-based).</summary>
    private static Mark? IndentingTabFrom(string yaml, int fromLine)
    {
        var lines = yaml.Split('\n');
        for (var line = Math.Max(fromLine, 1); line <= lines.Length; line++)
        {
            var text = lines[line - 1];
            var indentation = text.Length - text.TrimStart(' ', '\t').Length;
            var tab = text.IndexOf('\t', 0, indentation);
            if (tab >= 0)
            {
                return new Mark(0, line, tab + 1);
            }
        }

        return null;
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();

    /// <summary>
    /// Passes YamlDotNet's parser events through, refusing to nest deeper than <see cref="MaxDepth"/>
    /// and remembering what is open and which anchors and aliases were seen, to explain failures.
    /// </summary>
    private sealed class GuardedParser(IParser inner) : IParser
    {
        private readonly Stack<ParsingEvent> open = new();
        private readonly HashSet<string> anchors = new(StringComparer.Ordinal);
        private readonly List<AnchorAlias> aliases = [];

        public ParsingEvent? Current => inner.Current;

        public ParsingEvent? InnermostOpen => open.TryPeek(out var start) ? start : null;

        public bool MoveNext()
        {
            if (!inner.MoveNext())
            {
                return false;
            }

            var current = inner.Current!;
            if (current is NodeEvent { Anchor.IsEmpty: false } node)
            {
                anchors.Add(node.Anchor.Value);
            }

            if (current is AnchorAlias alias)
            {
                aliases.Add(alias);
            }

            if (current is MappingStart or SequenceStart)
            {
                if (open.Count == MaxDepth)
                {
                    throw new YamlException(current.Start, current.End,
                        $"nesting deeper than {MaxDepth} levels; expected a policy nested at most {MaxDepth} levels deep");
                }

                open.Push(current);
            }
            else if (current is MappingEnd or SequenceEnd)
            {
                open.TryPop(out _);
            }

            return true;
        }

        public AnchorAlias? FirstUndefinedAlias() => aliases.FirstOrDefault(alias => !anchors.Contains(alias.Value.Value));
    }
}
