using System.Collections.Immutable;

namespace Konzen.Privacy.Policy.Versions;

/// <summary>What part of the policy a change is about.</summary>
public enum PolicyChangeArea
{
    Purpose,
    Category,
    Recipient,
    Retention,
    Right,
    Region,
    CrossBorderTransfer,
}

/// <summary>Whether something was added, removed or changed.</summary>
public enum PolicyChangeKind
{
    Added,
    Removed,
    Changed,
}

/// <summary>
/// One change between two policy versions. <paramref name="Material"/> changes need fresh consent for
/// what is new (S7.2); the others need only notice. <paramref name="NeedsConsent"/> lists the optional
/// purposes of the new version that a consent given under the old version no longer covers.
/// </summary>
/// <param name="Area">What the change is about.</param>
/// <param name="Kind">Added, removed or changed.</param>
/// <param name="Key">The key or id of what changed (a purpose key, a category key, a recipient class, a right id, …).</param>
/// <param name="What">What changed, in both languages.</param>
/// <param name="Material">Whether the change needs explicit consent rather than notice.</param>
/// <param name="Because">The kind of material change the policy's <c>changes.material</c> lists, when material.</param>
/// <param name="Reason">Why it is material or not, in both languages.</param>
/// <param name="NeedsConsent">The optional purposes whose consent must be given again.</param>
public sealed record PolicyChange(
    PolicyChangeArea Area,
    PolicyChangeKind Kind,
    string Key,
    LocalizedText What,
    bool Material,
    MaterialChange? Because,
    LocalizedText Reason,
    ImmutableArray<string> NeedsConsent);

/// <summary>
/// The structured difference between two policy versions: purposes, categories, recipient classes,
/// retention, rights, regions and cross-border transfers added, removed or changed, each classified
/// material or not with its reason. A change is material when it is of a kind the new version's
/// <c>changes.material</c> lists: a new purpose, a new category (or a purpose gaining one), a new
/// recipient (or a recipient receiving more), a longer retention, or a cross-border transfer.
/// Everything that takes away or narrows processing is notice only.
/// </summary>
public static class PolicyDiff
{
    private static readonly LocalizedText Narrows = new(
        "less is processed or kept than before: notice is enough",
        "处理或保存的信息比以前更少：告知即可");

    private static readonly LocalizedText Wording = new(
        "only the wording or presentation changes: notice is enough",
        "仅措辞或表述变化：告知即可");

    /// <summary>Every change from <paramref name="from"/> to <paramref name="to"/>, in a stable order (area, then key).</summary>
    public static IReadOnlyList<PolicyChange> Between(PolicyDocument from, PolicyDocument to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        var changes = new List<PolicyChange>();
        var diff = new Builder(to, changes);
        Purposes(from, to, diff);
        Categories(from, to, diff);
        Recipients(from, to, diff);
        Rights(from, to, diff);
        Regions(from, to, diff);
        Transfers(from, to, diff);
        return [.. changes.OrderBy(c => c.Area).ThenBy(c => c.Key, StringComparer.Ordinal)];
    }

    /// <summary>Whether any change in the list is material.</summary>
    public static bool AnyMaterial(IEnumerable<PolicyChange> changes) => changes.Any(c => c.Material);

    private static void Purposes(PolicyDocument from, PolicyDocument to, Builder diff)
    {
        var old = from.Purposes.ToDictionary(p => p.Key, StringComparer.Ordinal);
        var now = to.Purposes.ToDictionary(p => p.Key, StringComparer.Ordinal);
        foreach (var purpose in to.Purposes.Where(p => !old.ContainsKey(p.Key)))
        {
            diff.Add(PolicyChangeArea.Purpose, PolicyChangeKind.Added, purpose.Key,
                new($"new purpose \"{purpose.Name.En}\" using {List(purpose.Categories)}", $"新增处理目的“{purpose.Name.ZhCn}”，使用 {List(purpose.Categories)}"),
                MaterialChange.NewPurpose,
                new("a new purpose: it starts off and needs explicit consent", "新的处理目的：默认关闭，需要明确同意"),
                [purpose.Key]);
        }

        foreach (var purpose in from.Purposes.Where(p => !now.ContainsKey(p.Key)))
        {
            diff.NotMaterial(PolicyChangeArea.Purpose, PolicyChangeKind.Removed, purpose.Key,
                new($"purpose \"{purpose.Name.En}\" removed", $"删除处理目的“{purpose.Name.ZhCn}”"), Narrows);
        }

        foreach (var purpose in to.Purposes.Where(p => old.ContainsKey(p.Key)))
        {
            var before = old[purpose.Key];
            var gained = purpose.Categories.Except(before.Categories, StringComparer.Ordinal).ToList();
            var lost = before.Categories.Except(purpose.Categories, StringComparer.Ordinal).ToList();
            if (gained.Count > 0)
            {
                diff.Add(PolicyChangeArea.Purpose, PolicyChangeKind.Changed, purpose.Key,
                    new($"purpose \"{purpose.Name.En}\" now also uses {List(gained)}", $"处理目的“{purpose.Name.ZhCn}”新增使用 {List(gained)}"),
                    MaterialChange.NewCategory,
                    new("the purpose gains a category: consent given before does not cover it", "该目的新增信息类别：此前的同意不涵盖该类别"),
                    [purpose.Key]);
            }

            if (lost.Count > 0)
            {
                diff.NotMaterial(PolicyChangeArea.Purpose, PolicyChangeKind.Changed, purpose.Key,
                    new($"purpose \"{purpose.Name.En}\" no longer uses {List(lost)}", $"处理目的“{purpose.Name.ZhCn}”不再使用 {List(lost)}"), Narrows);
            }

            if (purpose.Basis != before.Basis || purpose.Optional != before.Optional)
            {
                // Losing the choice (consent to necessary) widens processing like a new purpose does;
                // gaining it only narrows.
                var widens = before.Optional && !purpose.Optional;
                var what = new LocalizedText(
                    $"purpose \"{purpose.Name.En}\": basis {Basis(before)} becomes {Basis(purpose)}",
                    $"处理目的“{purpose.Name.ZhCn}”：法律依据由 {Basis(before)} 变为 {Basis(purpose)}");
                if (widens)
                {
                    diff.Add(PolicyChangeArea.Purpose, PolicyChangeKind.Changed, purpose.Key, what, MaterialChange.NewPurpose,
                        new("the purpose no longer waits for consent, as a new purpose would not", "该目的不再需要同意，相当于新的处理目的"), []);
                }
                else
                {
                    diff.NotMaterial(PolicyChangeArea.Purpose, PolicyChangeKind.Changed, purpose.Key, what, Narrows);
                }
            }

            if (purpose.Name != before.Name || purpose.Description != before.Description || purpose.Clause != before.Clause)
            {
                diff.NotMaterial(PolicyChangeArea.Purpose, PolicyChangeKind.Changed, purpose.Key,
                    new($"purpose \"{purpose.Name.En}\": name or description reworded", $"处理目的“{purpose.Name.ZhCn}”：名称或说明措辞修改"), Wording);
            }
        }
    }

    private static void Categories(PolicyDocument from, PolicyDocument to, Builder diff)
    {
        var old = from.Categories.ToDictionary(c => c.Key, StringComparer.Ordinal);
        var now = to.Categories.ToDictionary(c => c.Key, StringComparer.Ordinal);
        foreach (var category in to.Categories.Where(c => !old.ContainsKey(c.Key)))
        {
            diff.Add(PolicyChangeArea.Category, PolicyChangeKind.Added, category.Key,
                new($"new category \"{category.Name.En}\", kept {category.Retention}", $"新增信息类别“{category.Name.ZhCn}”，保存期限 {category.Retention}"),
                MaterialChange.NewCategory,
                new("a new category of personal information: whatever uses it needs explicit consent", "新的个人信息类别：使用它的目的需要明确同意"),
                UsersOf(to, category.Key));
        }

        foreach (var category in from.Categories.Where(c => !now.ContainsKey(c.Key)))
        {
            diff.NotMaterial(PolicyChangeArea.Category, PolicyChangeKind.Removed, category.Key,
                new($"category \"{category.Name.En}\" no longer collected", $"不再收集信息类别“{category.Name.ZhCn}”"), Narrows);
        }

        foreach (var category in to.Categories.Where(c => old.ContainsKey(c.Key)))
        {
            var before = old[category.Key];
            if (category.Retention != before.Retention)
            {
                var what = new LocalizedText(
                    $"\"{category.Name.En}\" kept {category.Retention} instead of {before.Retention}",
                    $"“{category.Name.ZhCn}”的保存期限由 {before.Retention} 改为 {category.Retention}");
                if (category.Retention.ApproximateDays > before.Retention.ApproximateDays)
                {
                    diff.Add(PolicyChangeArea.Retention, PolicyChangeKind.Changed, category.Key, what, MaterialChange.LongerRetention,
                        new("kept longer than before: consent given before does not cover the longer time", "保存时间比以前更长：此前的同意不涵盖更长的期限"),
                        UsersOf(to, category.Key));
                }
                else
                {
                    diff.NotMaterial(PolicyChangeArea.Retention, PolicyChangeKind.Changed, category.Key, what, Narrows);
                }
            }

            if (!string.Equals(category.Region, before.Region, StringComparison.Ordinal))
            {
                diff.Add(PolicyChangeArea.CrossBorderTransfer, PolicyChangeKind.Changed, category.Key,
                    new($"\"{category.Name.En}\" stored in {category.Region} instead of {before.Region}", $"“{category.Name.ZhCn}”的存储地区由 {before.Region} 改为 {category.Region}"),
                    MaterialChange.CrossBorderTransfer,
                    new("the information moves to another region: a cross-border transfer", "信息转移到其他地区：属于跨境传输"),
                    UsersOf(to, category.Key));
            }

            if (category.Name != before.Name || category.Sensitivity != before.Sensitivity || category.Collected != before.Collected
                || !category.Sources.SequenceEqual(before.Sources) || !category.Stores.SequenceEqual(before.Stores))
            {
                diff.NotMaterial(PolicyChangeArea.Category, PolicyChangeKind.Changed, category.Key,
                    new($"category \"{category.Name.En}\": description, sources or stores changed", $"信息类别“{category.Name.ZhCn}”：说明、来源或存储位置变化"), Wording);
            }
        }
    }

    private static void Recipients(PolicyDocument from, PolicyDocument to, Builder diff)
    {
        var old = from.Sharing.Recipients.ToDictionary(r => r.Key, StringComparer.Ordinal);
        var now = to.Sharing.Recipients.ToDictionary(r => r.Key, StringComparer.Ordinal);
        foreach (var recipient in to.Sharing.Recipients.Where(r => !old.ContainsKey(r.Key)))
        {
            diff.Add(PolicyChangeArea.Recipient, PolicyChangeKind.Added, recipient.Key,
                new($"new recipient \"{recipient.Name.En}\" receives {List(recipient.Categories)}", $"新增接收方“{recipient.Name.ZhCn}”，接收 {List(recipient.Categories)}"),
                MaterialChange.NewRecipient,
                new("information is shared with a new recipient: the purposes that share it need explicit consent", "信息将与新的接收方共享：相关目的需要明确同意"),
                [.. recipient.Purposes]);
        }

        foreach (var recipient in from.Sharing.Recipients.Where(r => !now.ContainsKey(r.Key)))
        {
            diff.NotMaterial(PolicyChangeArea.Recipient, PolicyChangeKind.Removed, recipient.Key,
                new($"recipient \"{recipient.Name.En}\" no longer receives anything", $"接收方“{recipient.Name.ZhCn}”不再接收任何信息"), Narrows);
        }

        foreach (var recipient in to.Sharing.Recipients.Where(r => old.ContainsKey(r.Key)))
        {
            var before = old[recipient.Key];
            var morePurposes = recipient.Purposes.Except(before.Purposes, StringComparer.Ordinal).ToList();
            var moreCategories = recipient.Categories.Except(before.Categories, StringComparer.Ordinal).ToList();
            if (morePurposes.Count > 0 || moreCategories.Count > 0)
            {
                diff.Add(PolicyChangeArea.Recipient, PolicyChangeKind.Changed, recipient.Key,
                    new($"recipient \"{recipient.Name.En}\" now also receives {List([.. moreCategories, .. morePurposes])}",
                        $"接收方“{recipient.Name.ZhCn}”新增接收 {List([.. moreCategories, .. morePurposes])}"),
                    MaterialChange.NewRecipient,
                    new("a recipient receives more than before: consent given before does not cover it", "接收方接收的信息比以前更多：此前的同意不涵盖"),
                    [.. recipient.Purposes]);
            }
            else if (!recipient.Purposes.SequenceEqual(before.Purposes) || !recipient.Categories.SequenceEqual(before.Categories)
                || recipient.Name != before.Name || !recipient.Agreements.SequenceEqual(before.Agreements))
            {
                diff.NotMaterial(PolicyChangeArea.Recipient, PolicyChangeKind.Changed, recipient.Key,
                    new($"recipient \"{recipient.Name.En}\" receives less, or is described differently", $"接收方“{recipient.Name.ZhCn}”接收更少或表述变化"), Narrows);
            }
        }
    }

    private static void Rights(PolicyDocument from, PolicyDocument to, Builder diff)
    {
        var old = from.Rights.List.ToDictionary(r => r.Id, StringComparer.Ordinal);
        var now = to.Rights.List.ToDictionary(r => r.Id, StringComparer.Ordinal);
        var notice = new LocalizedText("rights are not consents: notice is enough", "权利变化不涉及同意：告知即可");
        foreach (var right in to.Rights.List.Where(r => !old.ContainsKey(r.Id)))
        {
            diff.NotMaterial(PolicyChangeArea.Right, PolicyChangeKind.Added, right.Id, new($"new right: {right.Name.En}", $"新增权利：{right.Name.ZhCn}"), notice);
        }

        foreach (var right in from.Rights.List.Where(r => !now.ContainsKey(r.Id)))
        {
            diff.NotMaterial(PolicyChangeArea.Right, PolicyChangeKind.Removed, right.Id, new($"right removed: {right.Name.En}", $"删除权利：{right.Name.ZhCn}"), notice);
        }

        foreach (var right in to.Rights.List.Where(r => old.TryGetValue(r.Id, out var before) && before != r))
        {
            diff.NotMaterial(PolicyChangeArea.Right, PolicyChangeKind.Changed, right.Id, new($"right reworded: {right.Name.En}", $"权利表述修改：{right.Name.ZhCn}"), Wording);
        }

        if (to.Rights.ResponseWorkingDays != from.Rights.ResponseWorkingDays)
        {
            diff.NotMaterial(PolicyChangeArea.Right, PolicyChangeKind.Changed, "response_working_days",
                new($"requests answered within {to.Rights.ResponseWorkingDays} working days instead of {from.Rights.ResponseWorkingDays}",
                    $"请求答复期限由 {from.Rights.ResponseWorkingDays} 个工作日改为 {to.Rights.ResponseWorkingDays} 个工作日"),
                notice);
        }
    }

    private static void Regions(PolicyDocument from, PolicyDocument to, Builder diff)
    {
        var old = from.Regions.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var now = to.Regions.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var notice = new LocalizedText(
            "a region only becomes material when information is transferred there, which is listed on its own",
            "地区本身的变化不涉及同意；向其他地区传输信息会单独列出");
        foreach (var region in to.Regions.Where(r => !old.Contains(r.Id)))
        {
            diff.NotMaterial(PolicyChangeArea.Region, PolicyChangeKind.Added, region.Id, new($"new region: {region.Name.En}", $"新增地区：{region.Name.ZhCn}"), notice);
        }

        foreach (var region in from.Regions.Where(r => !now.Contains(r.Id)))
        {
            diff.NotMaterial(PolicyChangeArea.Region, PolicyChangeKind.Removed, region.Id, new($"region removed: {region.Name.En}", $"删除地区：{region.Name.ZhCn}"), notice);
        }
    }

    private static void Transfers(PolicyDocument from, PolicyDocument to, Builder diff)
    {
        var old = from.CrossBorderTransfers.ToDictionary(t => t.Id, StringComparer.Ordinal);
        var now = to.CrossBorderTransfers.ToDictionary(t => t.Id, StringComparer.Ordinal);
        var reason = new LocalizedText(
            "information leaves the region it was collected in: the purposes concerned need explicit consent",
            "信息将传输至收集地区以外：相关目的需要明确同意");
        foreach (var transfer in to.CrossBorderTransfers)
        {
            if (!old.TryGetValue(transfer.Id, out var before))
            {
                diff.Add(PolicyChangeArea.CrossBorderTransfer, PolicyChangeKind.Added, transfer.Id,
                    new($"new cross-border transfer to {transfer.ToRegion} ({transfer.Recipient}) of {List(transfer.Categories)}",
                        $"新增向 {transfer.ToRegion}（{transfer.Recipient}）的跨境传输：{List(transfer.Categories)}"),
                    MaterialChange.CrossBorderTransfer, reason, [.. transfer.Purposes]);
            }
            else if (transfer.ToRegion != before.ToRegion || transfer.Recipient != before.Recipient
                || transfer.Purposes.Except(before.Purposes, StringComparer.Ordinal).Any() || transfer.Categories.Except(before.Categories, StringComparer.Ordinal).Any())
            {
                diff.Add(PolicyChangeArea.CrossBorderTransfer, PolicyChangeKind.Changed, transfer.Id,
                    new($"cross-border transfer to {transfer.ToRegion} ({transfer.Recipient}) widened: {List(transfer.Categories)}",
                        $"向 {transfer.ToRegion}（{transfer.Recipient}）的跨境传输范围扩大：{List(transfer.Categories)}"),
                    MaterialChange.CrossBorderTransfer, reason, [.. transfer.Purposes]);
            }
            else if (transfer.SecurityMeasures != before.SecurityMeasures || transfer.Risks != before.Risks
                || !transfer.Purposes.SequenceEqual(before.Purposes) || !transfer.Categories.SequenceEqual(before.Categories))
            {
                diff.NotMaterial(PolicyChangeArea.CrossBorderTransfer, PolicyChangeKind.Changed, transfer.Id,
                    new($"cross-border transfer to {transfer.ToRegion}: narrower, or its notice reworded", $"向 {transfer.ToRegion} 的跨境传输：范围缩小或告知措辞修改"), Wording);
            }
        }

        foreach (var transfer in from.CrossBorderTransfers.Where(t => !now.ContainsKey(t.Id)))
        {
            diff.NotMaterial(PolicyChangeArea.CrossBorderTransfer, PolicyChangeKind.Removed, transfer.Id,
                new($"cross-border transfer to {transfer.ToRegion} ended", $"停止向 {transfer.ToRegion} 的跨境传输"), Narrows);
        }
    }

    /// <summary>The purposes of <paramref name="policy"/> that use <paramref name="category"/>.</summary>
    private static ImmutableArray<string> UsersOf(PolicyDocument policy, string category) =>
        [.. policy.Purposes.Where(p => p.Categories.Contains(category, StringComparer.Ordinal)).Select(p => p.Key)];

    private static string List(IEnumerable<string> keys) => string.Join(", ", keys);

    private static string Basis(Purpose purpose) => purpose.Optional ? $"{purpose.Basis} (optional)".ToLowerInvariant() : purpose.Basis.ToString().ToLowerInvariant();

    /// <summary>Adds changes, classifying a would-be material change by whether the new version's policy lists its kind.</summary>
    private sealed class Builder(PolicyDocument to, List<PolicyChange> changes)
    {
        public void Add(PolicyChangeArea area, PolicyChangeKind kind, string key, LocalizedText what, MaterialChange because, LocalizedText reason, ImmutableArray<string> purposes)
        {
            if (!to.Changes.Material.Contains(because))
            {
                NotMaterial(area, kind, key, what, new LocalizedText(
                    $"{reason.En}; but this policy does not count such changes as material",
                    $"{reason.ZhCn}；但本政策不将此类变化视为重大变化"));
                return;
            }

            // Only optional purposes can be asked for: a necessary one runs without consent anyway.
            var optional = to.Purposes.Where(p => p.Optional).Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
            changes.Add(new PolicyChange(area, kind, key, what, true, because, reason, [.. purposes.Where(optional.Contains).Distinct(StringComparer.Ordinal)]));
        }

        public void NotMaterial(PolicyChangeArea area, PolicyChangeKind kind, string key, LocalizedText what, LocalizedText reason) =>
            changes.Add(new PolicyChange(area, kind, key, what, false, null, reason, []));
    }
}
