using Konzen.Privacy.Policy;
using Konzen.Privacy.Policy.Versions;
using Konzen.Privacy.Testing;

namespace Konzen.Privacy.Tests.Policy.Versions;

/// <summary>The structured diff between two policy versions and its material / notice-only classification (S7.1, S7.2).</summary>
public sealed class PolicyDiffTests
{
    private static PolicyDocument Load(string text)
    {
        var result = PolicyLoader.Load(text, "changed.policy.yaml");
        Assert.Empty(result.Errors);
        return result.Policy!;
    }

    [Fact]
    [Trait("Clause", "S7.1")]
    [Trait("Clause", "S7.2")]
    public void Between_ShippedAndChangedCopy_FindsAndClassifiesEachChange()
    {
        var changes = PolicyDiff.Between(PolicyLoader.LoadDefault(), Load(ChangedPolicy.Material()));

        var found = changes.Select(c => (c.Area, c.Kind, c.Key, c.Material, c.Because)).ToHashSet();
        (PolicyChangeArea, PolicyChangeKind, string, bool, MaterialChange?)[] expected =
        [
            (PolicyChangeArea.Purpose, PolicyChangeKind.Added, ChangedPolicy.NewPurpose, true, MaterialChange.NewPurpose),
            (PolicyChangeArea.Purpose, PolicyChangeKind.Changed, ChangedPolicy.GainsCategory, true, MaterialChange.NewCategory),
            (PolicyChangeArea.Purpose, PolicyChangeKind.Changed, "functional.service.improve", false, null),
            (PolicyChangeArea.Retention, PolicyChangeKind.Changed, "user.device.cookie_id", true, MaterialChange.LongerRetention),
            (PolicyChangeArea.Retention, PolicyChangeKind.Changed, "user.location.precise", false, null),
            (PolicyChangeArea.Recipient, PolicyChangeKind.Added, ChangedPolicy.NewRecipient, true, MaterialChange.NewRecipient),
            (PolicyChangeArea.Right, PolicyChangeKind.Changed, "complain", false, null),
            (PolicyChangeArea.Right, PolicyChangeKind.Changed, "response_working_days", false, null),
            (PolicyChangeArea.Region, PolicyChangeKind.Added, TransferPolicy.Region, false, null),
            (PolicyChangeArea.CrossBorderTransfer, PolicyChangeKind.Added, TransferPolicy.TransferId, true, MaterialChange.CrossBorderTransfer),
        ];
        Assert.Equal(expected.ToHashSet(), found);
        Assert.Equal(expected.Length, changes.Count);

        // What a material change makes new needs consent for the optional purposes it concerns, and only those.
        Assert.Equal([ChangedPolicy.NewPurpose], Single(changes, ChangedPolicy.NewPurpose).NeedsConsent);
        Assert.Equal([ChangedPolicy.GainsCategory], Single(changes, ChangedPolicy.GainsCategory).NeedsConsent);
        Assert.Equal(["analytics.reporting", "personalize"], Single(changes, "user.device.cookie_id").NeedsConsent.Order(StringComparer.Ordinal));
        Assert.Equal([TransferPolicy.Purpose], Single(changes, TransferPolicy.TransferId).NeedsConsent);
        Assert.All(changes.Where(c => !c.Material), c => Assert.Empty(c.NeedsConsent));

        // Every change says what and why in both languages.
        Assert.All(changes, c => Assert.All((string[])[c.What.En, c.What.ZhCn, c.Reason.En, c.Reason.ZhCn], text => Assert.False(string.IsNullOrWhiteSpace(text))));
        Assert.Contains("P2Y", Single(changes, "user.device.cookie_id").What.En, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Clause", "S7.2")]
    public void Between_OnlyWordingAndShorterDeadline_IsNoticeOnly()
    {
        var changes = PolicyDiff.Between(PolicyLoader.LoadDefault(), Load(ChangedPolicy.NotMaterial()));

        Assert.Equal(3, changes.Count);
        Assert.False(PolicyDiff.AnyMaterial(changes));
    }

    [Fact]
    public void Between_TheSamePolicy_FindsNothing() =>
        Assert.Empty(PolicyDiff.Between(PolicyLoader.LoadDefault(), PolicyLoader.LoadDefault()));

    [Fact]
    [Trait("Clause", "S7.2")]
    public void Between_KindThePolicyDoesNotListAsMaterial_IsNoticeOnly()
    {
        var text = ChangedPolicy.Material().Replace(
            "material: [new-purpose, new-category, new-recipient, longer-retention, cross-border-transfer]",
            "material: [new-category, new-recipient, longer-retention, cross-border-transfer]",
            StringComparison.Ordinal);

        var change = Single(PolicyDiff.Between(PolicyLoader.LoadDefault(), Load(text)), ChangedPolicy.NewPurpose);

        Assert.False(change.Material);
        Assert.Empty(change.NeedsConsent);
    }

    private static PolicyChange Single(IEnumerable<PolicyChange> changes, string key) => Assert.Single(changes, c => c.Key == key);
}
