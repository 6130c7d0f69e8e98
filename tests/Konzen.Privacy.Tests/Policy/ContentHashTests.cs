using Konzen.Privacy.Policy;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Konzen.Privacy.Tests.Policy;

/// <summary>
/// A subject accepts one exact policy version, identified by its content hash (S0.3), so the hash
/// must follow the content and nothing else: not key order, comments, whitespace, quoting or style.
/// </summary>
public sealed class ContentHashTests
{
    private static readonly string DefaultHash = PolicyLoader.LoadDefault().Version.ContentHash;

    [Fact]
    public void ContentHash_KeysInReverseOrderWithWiderIndentation_IsUnchanged()
    {
        var text = Reemit(node => Restyle(node, reverseKeys: true, flow: false, quote: false), indent: 4);

        Assert.Contains("\n        ", text, StringComparison.Ordinal);
        Assert.Equal(DefaultHash, HashOf(text));
    }

    [Fact]
    public void ContentHash_FlowStyleAndQuotedValues_IsUnchanged()
    {
        var text = Reemit(node => Restyle(node, reverseKeys: false, flow: true, quote: true), indent: 2);

        Assert.Contains("\"version\": \"1.0.0\"", text, StringComparison.Ordinal);
        Assert.Equal(DefaultHash, HashOf(text));
    }

    [Fact]
    public void ContentHash_CommentsAdded_IsUnchanged()
    {
        var commented = PolicyText.Default().Replace("  version: 1.0.0\n", "  version: 1.0.0 # bumped for the launch\n").Text;

        // A comment line at column 1 before each top-level key cannot fall inside any value.
        var lines = commented.Split('\n').SelectMany(line =>
            line.Length > 0 && char.IsAsciiLetterLower(line[0]) ? new[] { "# section", line } : [line]);

        Assert.Equal(DefaultHash, HashOf(string.Join('\n', lines)));
    }

    [Fact]
    public void ContentHash_LineEndingsBlankLinesAndTrailingSpaces_IsUnchanged()
    {
        var text = PolicyLoader.ReadDefaultText()
            .Replace("\n\n", "\n\n\n\n", StringComparison.Ordinal)
            .Replace("\n", "   \r\n", StringComparison.Ordinal);

        Assert.Equal(DefaultHash, HashOf(text));
    }

    [Fact]
    public void ContentHash_OneFlowListWrittenAsBlockList_IsUnchanged()
    {
        var text = PolicyText.Default()
            .ReplaceAfter("- key: user.privacy_preferences\n", "stores: [database, app-cache]", "stores:\n      - database\n      - 'app-cache'")
            .Text;

        Assert.Equal(DefaultHash, HashOf(text));
    }

    [Theory]
    [InlineData("- key: user.location.precise\n", "retention: P90D", "retention: P91D")]
    [InlineData("policy:\n", "version: 1.0.0", "version: 1.0.1")]
    [InlineData("- key: user.device.ip_address\n", "network address", "network address ")]
    [InlineData("- key: functional.location\n", "[user.location.precise, user.location.imprecise]", "[user.location.imprecise, user.location.precise]")]
    [InlineData("rights:\n", "response_working_days: 15", "response_working_days: 14")]
    public void ContentHash_OneValueChanged_Differs(string anchor, string oldText, string newText)
    {
        var text = PolicyText.Default().ReplaceAfter(anchor, oldText, newText).Text;

        Assert.NotEqual(DefaultHash, HashOf(text));
    }

    [Fact]
    public void ContentHash_SameText_IsStableAndLowerCaseHex()
    {
        Assert.Equal(DefaultHash, HashOf(PolicyLoader.ReadDefaultText()));
        Assert.Matches("^[0-9a-f]{64}$", DefaultHash);
    }

    private static string HashOf(string text)
    {
        var result = PolicyText.Of(text).Load();
        Assert.Empty(result.Errors);
        return result.Policy!.Version.ContentHash;
    }

    private static string Reemit(Func<YamlNode, YamlNode> restyle, int indent)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(PolicyLoader.ReadDefaultText()));
        var output = new StringWriter();
        new YamlStream(new YamlDocument(restyle(stream.Documents[0].RootNode)))
            .Save(new Emitter(output, new EmitterSettings().WithBestIndent(indent)), assignAnchors: false);
        return output.ToString();
    }

    private static YamlNode Restyle(YamlNode node, bool reverseKeys, bool flow, bool quote)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var pairs = map.Children.Select(pair => new KeyValuePair<YamlNode, YamlNode>(
                    Restyle(pair.Key, reverseKeys, flow, quote), Restyle(pair.Value, reverseKeys, flow, quote)));
                return new YamlMappingNode(reverseKeys ? pairs.Reverse() : pairs) { Style = flow ? MappingStyle.Flow : MappingStyle.Block };
            case YamlSequenceNode list:
                return new YamlSequenceNode(list.Children.Select(item => Restyle(item, reverseKeys, flow, quote)))
                {
                    Style = flow ? SequenceStyle.Flow : SequenceStyle.Block,
                };
            default:
                var scalar = (YamlScalarNode)node;
                return new YamlScalarNode(scalar.Value) { Style = quote ? ScalarStyle.DoubleQuoted : ScalarStyle.Any };
        }
    }
}
