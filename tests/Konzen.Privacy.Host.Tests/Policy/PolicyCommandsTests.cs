using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Host.Tests.Policy;

public sealed class PolicyCommandsTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    [Trait("Clause", "S0.1")]
    public async Task Validate_DefaultPolicy_ExitsZeroAndSummarizes()
    {
        var file = folder.Write("konzen.policy.yaml", PolicyLoader.ReadDefaultText());

        var (exit, output, error) = await Cli.RunAsync("policy", "validate", file);

        Assert.Equal(0, exit);
        Assert.Empty(error);
        Assert.Matches(@"^konzen\.policy\.yaml: valid policy 1\.0\.0, effective 2026-12-01, \d+ categories, \d+ purposes, sha256 [0-9a-f]{64}\n$", output);
    }

    [Fact]
    public async Task Validate_InvalidPolicy_ExitsOneWithEveryErrorOnStderr()
    {
        var text = PolicyLoader.ReadDefaultText()
            .Replace("basis: necessary", "basis: maybe", StringComparison.Ordinal)
            .Replace("retention: P1Y", "retention: a year", StringComparison.Ordinal);
        var file = folder.Write("bad.yaml", text);
        var expected = PolicyLoader.Load(text, "bad.yaml").Errors;

        var (exit, output, error) = await Cli.RunAsync("policy", "validate", file);

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.True(expected.Count > 2);
        Assert.Equal(string.Concat(expected.Select(e => e + "\n")), error);
        Assert.Contains("bad.yaml:", error, StringComparison.Ordinal);
        Assert.Contains("unknown basis 'maybe'", error, StringComparison.Ordinal);
        Assert.Contains("retention 'a year' is not a duration", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_MissingFile_ExitsOne()
    {
        var (exit, _, error) = await Cli.RunAsync("policy", "validate", Path.Combine(folder.Path, "absent.yaml"));

        Assert.Equal(1, exit);
        Assert.StartsWith("absent.yaml:1:1: file '", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("md", "en", "# ")]
    [InlineData("html", "zh-CN", "<!DOCTYPE html>")]
    [Trait("Clause", "S0.1")]
    public async Task Render_ValidPolicy_WritesTheRenderedPolicy(string format, string lang, string start)
    {
        var file = folder.Write("konzen.policy.yaml", PolicyLoader.ReadDefaultText());

        var (exit, output, error) = await Cli.RunAsync("policy", "render", file, "--format", format, "--lang", lang);

        Assert.Equal(0, exit);
        Assert.Empty(error);
        Assert.StartsWith(start, output, StringComparison.Ordinal);
        if (format == "html")
        {
            Assert.Contains($"<html lang=\"{lang}\"", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Render_UnknownFormat_ExitsOne()
    {
        var file = folder.Write("konzen.policy.yaml", PolicyLoader.ReadDefaultText());

        var (exit, output, error) = await Cli.RunAsync("policy", "render", file, "--format", "pdf");

        Assert.Equal(1, exit);
        Assert.Contains("pdf", error, StringComparison.Ordinal);
        Assert.DoesNotContain("# ", output, StringComparison.Ordinal);
    }
}
