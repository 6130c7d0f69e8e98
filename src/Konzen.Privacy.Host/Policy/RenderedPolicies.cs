using System.Collections.Concurrent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Policy.Rendering;

namespace Konzen.Privacy.Host.Policy;

/// <summary>
/// The rendered policy texts, made once per policy version, format and language: the text only
/// changes when the policy does, so rendering on every request would be wasted work.
/// </summary>
internal sealed class RenderedPolicies
{
    private readonly ConcurrentDictionary<(string Hash, PolicyFormat Format, PolicyLanguage Language), string> texts = new();

    public string Get(CompiledPolicy policy, PolicyFormat format, PolicyLanguage language) =>
        texts.GetOrAdd((policy.Version.ContentHash, format, language), key => PolicyRenderer.Render(policy.Document, key.Format, key.Language));
}
