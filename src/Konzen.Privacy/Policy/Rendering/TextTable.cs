using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Konzen.Privacy.Policy.Rendering;

/// <summary>
/// The fixed sentences of the rendered policy in one language, read from an embedded YAML string
/// table (<c>text.en.yaml</c>, <c>text.zh-CN.yaml</c>). Nested keys are joined with dots
/// (<c>collect.S1.2.lead</c>); a list becomes keys <c>.1</c>, <c>.2</c>, …. Each table is read once per
/// process: the texts only change with the library.
/// </summary>
internal sealed class TextTable
{
    private static readonly Lazy<TextTable> English = new(() => LoadEmbedded("en"));
    private static readonly Lazy<TextTable> Chinese = new(() => LoadEmbedded("zh-CN"));

    private readonly FrozenDictionary<string, Template> templates;

    private TextTable(FrozenDictionary<string, Template> templates, IReadOnlyList<string> glossaryTerms)
    {
        this.templates = templates;
        GlossaryTerms = glossaryTerms;
    }

    /// <summary>The ids of the glossary entries, in the order the glossary lists them.</summary>
    public IReadOnlyList<string> GlossaryTerms { get; }

    public IEnumerable<string> Keys => templates.Keys;

    public static TextTable For(PolicyLanguage language) => (language == PolicyLanguage.ZhCn ? Chinese : English).Value;

    public Template this[string key] => templates.TryGetValue(key, out var template)
        ? template
        : throw new KeyNotFoundException($"The string table has no text '{key}'.");

    public Template? Find(string key) => templates.GetValueOrDefault(key);

    public static string ReadEmbedded(string languageTag)
    {
        var name = $"Konzen.Privacy.Policy.Rendering.text.{languageTag}.yaml";
        using var stream = typeof(TextTable).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The string table '{name}' is not embedded in the library.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static TextTable Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var texts = new Dictionary<string, Template>(StringComparer.Ordinal);
        Flatten(root, string.Empty, texts);

        var glossary = root.Children.TryGetValue(new YamlScalarNode("glossary"), out var node) && node is YamlMappingNode entries
            ? entries.Children.Keys.Select(key => ((YamlScalarNode)key).Value!).ToArray()
            : [];
        return new TextTable(texts.ToFrozenDictionary(StringComparer.Ordinal), glossary);
    }

    private static TextTable LoadEmbedded(string languageTag) => Parse(ReadEmbedded(languageTag));

    private static void Flatten(YamlNode node, string prefix, Dictionary<string, Template> texts)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                {
                    Flatten(value, Join(prefix, ((YamlScalarNode)key).Value!), texts);
                }

                break;
            case YamlSequenceNode list:
                for (var i = 0; i < list.Children.Count; i++)
                {
                    Flatten(list.Children[i], Join(prefix, (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)), texts);
                }

                break;
            case YamlScalarNode scalar:
                texts.Add(prefix, Template.Parse(prefix, scalar.Value ?? string.Empty));
                break;
        }
    }

    private static string Join(string prefix, string key) => prefix.Length == 0 ? key : prefix + "." + key;
}
