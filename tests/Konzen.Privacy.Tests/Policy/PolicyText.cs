using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Tests.Policy;

/// <summary>A 1-based line and column in a policy text, as <see cref="PolicyError"/> reports them.</summary>
internal readonly record struct TextPosition(int Line, int Column);

/// <summary>
/// The text of a policy file, edited by exact string replacement. Every anchor must be found (and a
/// leading anchor found exactly once), so that a test fails loudly instead of quietly testing nothing
/// when the default policy changes. Expected positions are computed from the edited text, not written
/// down, so that unrelated edits of the policy file do not break the tests.
/// </summary>
internal sealed class PolicyText
{
    public const string FileName = "test.policy.yaml";

    private PolicyText(string text) => Text = text;

    public string Text { get; }

    public static PolicyText Default() => new(PolicyLoader.ReadDefaultText());

    public static PolicyText Of(string text) => new(text);

    public PolicyLoadResult Load() => PolicyLoader.Load(Text, FileName);

    /// <summary>Asserts that loading refuses the policy with exactly one error: this message, at this place.</summary>
    public void AssertSingleError(TextPosition at, string message)
    {
        var result = Load();

        Assert.Null(result.Policy);
        Assert.Equal(new PolicyError(FileName, at.Line, at.Column, message), Assert.Single(result.Errors));
    }

    /// <summary>Replaces <paramref name="oldText"/>, which must occur exactly once.</summary>
    public PolicyText Replace(string oldText, string newText)
    {
        var index = UniqueIndex(oldText);
        return new(string.Concat(Text.AsSpan(0, index), newText, Text.AsSpan(index + oldText.Length)));
    }

    /// <summary>Replaces the first <paramref name="oldText"/> after <paramref name="anchor"/>, which must occur exactly once.</summary>
    public PolicyText ReplaceAfter(string anchor, string oldText, string newText)
    {
        var index = Find(UniqueIndex(anchor) + anchor.Length, oldText);
        return new(string.Concat(Text.AsSpan(0, index), newText, Text.AsSpan(index + oldText.Length)));
    }

    /// <summary>Inserts <paramref name="text"/> just before <paramref name="anchor"/>, which must occur exactly once.</summary>
    public PolicyText InsertBefore(string anchor, string text) => new(Text.Insert(UniqueIndex(anchor), text));

    /// <summary>
    /// The position of the last of <paramref name="path"/>: the first element must occur exactly once,
    /// each following one is the first occurrence at or after the start of the one before.
    /// </summary>
    public TextPosition Locate(params string[] path)
    {
        var index = UniqueIndex(path[0]);
        foreach (var step in path.Skip(1))
        {
            index = Find(index, step);
        }

        return PositionOf(index);
    }

    /// <summary>The positions of every occurrence of <paramref name="token"/> within each occurrence of <paramref name="context"/>.</summary>
    public IReadOnlyList<TextPosition> LocateAll(string context, string token)
    {
        var positions = new List<TextPosition>();
        for (var index = Text.IndexOf(context, StringComparison.Ordinal); index >= 0; index = Text.IndexOf(context, index + 1, StringComparison.Ordinal))
        {
            var offset = context.IndexOf(token, StringComparison.Ordinal);
            Assert.True(offset >= 0, $"'{token}' is not part of '{context}'");
            positions.Add(PositionOf(index + offset));
        }

        return positions;
    }

    public TextPosition PositionOf(int index)
    {
        var lineStart = index == 0 ? 0 : Text.LastIndexOf('\n', index - 1) + 1;
        var line = 1 + Text.AsSpan(0, lineStart).Count('\n');
        return new TextPosition(line, index - lineStart + 1);
    }

    private int UniqueIndex(string anchor)
    {
        var index = Text.IndexOf(anchor, StringComparison.Ordinal);
        Assert.True(index >= 0, $"the policy text does not contain '{anchor}'");
        Assert.True(Text.IndexOf(anchor, index + 1, StringComparison.Ordinal) < 0, $"the policy text contains '{anchor}' more than once");
        return index;
    }

    private int Find(int from, string text)
    {
        var index = Text.IndexOf(text, from, StringComparison.Ordinal);
        Assert.True(index >= 0, $"the policy text does not contain '{text}' after position {from}");
        return index;
    }
}
