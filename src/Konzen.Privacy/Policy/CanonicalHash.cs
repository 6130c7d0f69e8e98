using System.Security.Cryptography;
using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace Konzen.Privacy.Policy;

/// <summary>
/// SHA-256 over a canonical form of the YAML tree: mappings with their keys in ordinal order,
/// lists in their order, scalars as their values. Comments, whitespace, quoting style and key
/// order do not change it; any change of content does.
/// </summary>
internal static class CanonicalHash
{
    public static string Of(YamlNode root)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, root);
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray()));
    }

    private static void Write(Utf8JsonWriter writer, YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                writer.WriteStartObject();
                foreach (var (key, value) in map.Children
                    .Select(pair => (Key: ((YamlScalarNode)pair.Key).Value ?? string.Empty, pair.Value))
                    .OrderBy(pair => pair.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    Write(writer, value);
                }

                writer.WriteEndObject();
                break;
            case YamlSequenceNode list:
                writer.WriteStartArray();
                foreach (var item in list.Children)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case YamlScalarNode scalar:
                writer.WriteStringValue(scalar.Value);
                break;
        }
    }
}
