using YamlDotNet.RepresentationModel;

namespace Konzen.Privacy.Policy;

/// <summary>
/// Reads a policy file into a <see cref="PolicyDocument"/>, reporting every problem at once with its
/// file, line and column. The YAML node tree is walked by hand rather than deserialized so that each
/// error can point at the exact node it is about. Text that is not YAML stops the parser, so a syntax
/// error is reported alone; every problem in well-formed YAML is reported at once. It never throws.
/// </summary>
public static class PolicyLoader
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

    /// <summary>Loads a policy file from disk; a file that is missing or cannot be read is an error at 1:1.</summary>
    public static PolicyLoadResult LoadFile(string path)
    {
        var name = Path.GetFileName(path);
        if (Directory.Exists(path))
        {
            return Failed(name, $"'{path}' is a directory; expected a readable policy file");
        }

        if (!File.Exists(path))
        {
            return Failed(name, $"file '{path}' does not exist; expected a readable policy file");
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Failed(name, $"file '{path}' cannot be read ({e.Message}); expected a readable policy file");
        }

        return Load(text, name);
    }

    /// <summary>Loads a policy from its YAML text; <paramref name="fileName"/> names it in errors.</summary>
    public static PolicyLoadResult Load(string yaml, string fileName)
    {
        // A byte order mark is an encoding artifact, not content; YamlDotNet would read it as part of
        // the first key. Files read from disk have it removed already, text handed in may not.
        var stream = PolicyYamlReader.Read(yaml.TrimStart('\uFEFF'), fileName, out var yamlError);
        if (stream is null)
        {
            return new PolicyLoadResult(null, [yamlError!]);
        }

        const string Expected = "expected one document whose top level is a mapping of the policy's sections";
        if (stream.Documents.Count == 0)
        {
            return Failed(fileName, $"the file holds no YAML document; {Expected}");
        }

        if (stream.Documents.Count > 1)
        {
            return Failed(fileName, stream.Documents[1].RootNode, $"a second YAML document starts here; {Expected}");
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var top = stream.Documents[0].RootNode;
            return Failed(fileName, top, $"the top level is {PolicyBinder.Describe(top)}; expected a mapping of the policy's sections");
        }

        var binder = new PolicyBinder(fileName);
        var policy = binder.Bind(root);
        if (binder.Errors.Count > 0)
        {
            return new PolicyLoadResult(null, binder.Errors);
        }

        return new PolicyLoadResult(policy with { Version = policy.Version with { ContentHash = CanonicalHash.Of(root) } }, []);
    }

    private static PolicyLoadResult Failed(string fileName, string message) =>
        new(null, [new PolicyError(fileName, 1, 1, message)]);

    private static PolicyLoadResult Failed(string fileName, YamlNode at, string message) =>
        new(null, [new PolicyError(fileName, (int)at.Start.Line, (int)at.Start.Column, message)]);
}
