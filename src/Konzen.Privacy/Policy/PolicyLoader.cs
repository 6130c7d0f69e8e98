using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Konzen.Privacy.Policy;

/// <summary>
/// Reads a policy file into a <see cref="PolicyDocument"/>, reporting every problem at once with its
/// file, line and column. The YAML node tree is walked by hand rather than deserialized so that each
/// error can point at the exact node it is about.
/// </summary>
public static partial class PolicyLoader
{
    /// <summary>The name the embedded default policy reports in errors.</summary>
    public const string DefaultPolicyName = "konzen.policy.yaml";

    /// <summary>Loads the Konzen policy embedded in this library.</summary>
    public static PolicyDocument LoadDefault()
    {
        var result = Load(ReadDefaultText(), DefaultPolicyName);
        return result.Policy ?? throw new InvalidOperationException(
            "The embedded default policy is invalid: " + string.Join(Environment.NewLine, result.Errors));
    }

    /// <summary>The text of the embedded default policy file.</summary>
    public static string ReadDefaultText()
    {
        using var stream = typeof(PolicyLoader).Assembly.GetManifestResourceStream("Konzen.Privacy.Policy.konzen.policy.yaml")
            ?? throw new InvalidOperationException("The default policy is not embedded in the library.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Loads a policy file from disk; a missing file is an error at 1:1.</summary>
    public static PolicyLoadResult LoadFile(string path)
    {
        var name = Path.GetFileName(path);
        if (!File.Exists(path))
        {
            return new PolicyLoadResult(null, [new PolicyError(name, 1, 1, $"file '{path}' does not exist; expected a readable policy file")]);
        }

        return Load(File.ReadAllText(path), name);
    }

    /// <summary>Loads a policy from its YAML text; <paramref name="fileName"/> names it in errors.</summary>
    public static PolicyLoadResult Load(string yaml, string fileName)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            var message = MarkPrefix().Replace(e.InnerException?.Message ?? e.Message, string.Empty);
            return new PolicyLoadResult(null, [new PolicyError(fileName, (int)e.Start.Line, (int)e.Start.Column, $"invalid YAML: {message}")]);
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            return new PolicyLoadResult(null, [new PolicyError(fileName, 1, 1, "the file holds no policy; expected one YAML document whose top level is a mapping")]);
        }

        var binder = new PolicyBinder(fileName);
        var policy = binder.Bind(root);
        if (policy is null || binder.Errors.Count > 0)
        {
            return new PolicyLoadResult(null, binder.Errors);
        }

        return new PolicyLoadResult(policy with { Version = policy.Version with { ContentHash = CanonicalHash.Of(root) } }, []);
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();
}
