namespace Konzen.Privacy.Policy.Rendering;

/// <summary>The formats the human-readable policy is published in.</summary>
public enum PolicyFormat
{
    /// <summary>CommonMark with a few inline HTML anchors, so every clause can be linked to.</summary>
    Markdown,

    /// <summary>A complete, self-contained HTML page.</summary>
    Html,
}
