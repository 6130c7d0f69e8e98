using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Residency;

/// <summary>
/// The notice of one declared transfer in one language, as the subject is shown it: origin and
/// destination, recipient, purposes, categories, security measures and risks (S2.4).
/// </summary>
/// <param name="Hash">Lower-case hex SHA-256 of the UTF-8 <paramref name="Text"/>: what a consent names, so that a changed notice needs a new consent.</param>
public sealed record TransferNotice(PolicyLanguage Language, string Text, string Hash);

/// <summary>A transfer the policy declares, with its notice in every language.</summary>
public sealed record DeclaredTransfer(CrossBorderTransfer Transfer, TransferNotice En, TransferNotice ZhCn)
{
    public string Id => Transfer.Id;

    public TransferNotice this[PolicyLanguage language] => language == PolicyLanguage.ZhCn ? ZhCn : En;

    /// <summary>The current notice with this hash, or null when the hash names no current notice.</summary>
    public TransferNotice? NoticeWithHash(string? hash) =>
        string.Equals(hash, En.Hash, StringComparison.Ordinal) ? En
        : string.Equals(hash, ZhCn.Hash, StringComparison.Ordinal) ? ZhCn
        : null;
}

/// <summary>The notices of every transfer the policy declares, written once from the policy.</summary>
public sealed class TransferNotices
{
    private readonly FrozenDictionary<string, DeclaredTransfer> byId;

    public TransferNotices(CompiledPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        All = [.. policy.Document.CrossBorderTransfers.Select(t => new DeclaredTransfer(t, Write(policy.Document, t, PolicyLanguage.En), Write(policy.Document, t, PolicyLanguage.ZhCn)))];
        byId = All.ToFrozenDictionary(t => t.Id, StringComparer.Ordinal);
    }

    /// <summary>Every declared transfer, in the policy's order; empty for the Konzen policy, which declares none.</summary>
    public IReadOnlyList<DeclaredTransfer> All { get; }

    public DeclaredTransfer? Find(string id) => byId.GetValueOrDefault(id);

    private static TransferNotice Write(PolicyDocument policy, CrossBorderTransfer transfer, PolicyLanguage language)
    {
        var zh = language == PolicyLanguage.ZhCn;
        var separator = zh ? "、" : ", ";
        string Region(string id) => policy.Regions.FirstOrDefault(r => r.Id == id)?.Name[language] ?? id;
        var recipient = policy.Sharing.Recipients.FirstOrDefault(r => r.Key == transfer.Recipient)?.Name[language] ?? transfer.Recipient;
        var purposes = string.Join(separator, transfer.Purposes.Select(key => policy.Purposes.FirstOrDefault(p => p.Key == key)?.Name[language] ?? key));
        var categories = string.Join(separator, transfer.Categories.Select(key => policy.Categories.FirstOrDefault(c => c.Key == key)?.Name[language] ?? key));
        var (title, labels) = zh
            ? ($"个人信息出境告知：从{Region(policy.Controller.Region)}传输至{Region(transfer.ToRegion)}", new[] { "接收方", "目的", "个人信息种类", "安全保障措施", "安全风险" })
            : ($"Transfer of your personal information from {Region(policy.Controller.Region)} to {Region(transfer.ToRegion)}", ["Recipient", "Purposes", "Personal information", "Security measures", "Risks"]);
        var colon = zh ? "：" : ": ";
        var text = new StringBuilder()
            .Append(title).Append('\n')
            .Append(labels[0]).Append(colon).Append(recipient).Append('\n')
            .Append(labels[1]).Append(colon).Append(purposes).Append('\n')
            .Append(labels[2]).Append(colon).Append(categories).Append('\n')
            .Append(labels[3]).Append(colon).Append(transfer.SecurityMeasures[language]).Append('\n')
            .Append(labels[4]).Append(colon).Append(transfer.Risks[language]).Append('\n')
            .ToString();
        return new TransferNotice(language, text, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))));
    }
}
