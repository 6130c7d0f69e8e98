using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Tests.Policy;

public sealed class DefaultPolicyTests
{
    [Fact]
    public void LoadDefault_EmbeddedPolicy_LoadsWithoutErrors()
    {
        var result = PolicyLoader.Load(PolicyLoader.ReadDefaultText(), PolicyLoader.DefaultPolicyName);

        Assert.Empty(result.Errors);
        Assert.Equal("1.0.0", result.Policy!.Version.Number);
        Assert.Matches("^[0-9a-f]{64}$", result.Policy.Version.ContentHash);
    }
}
