namespace Konzen.Privacy.Host.Tests.Policy;

/// <summary>The policy page as a person sees it: in a real browser, from a real `konzen` process.</summary>
public sealed class PolicyPageBrowserTests
{
    private static readonly string[] Sections =
        ["introduction", "section-1", "section-2", "section-3", "section-4", "section-5", "section-6", "section-7", "section-8", "glossary"];

    [Fact]
    [Trait("Clause", "S0.1")]
    [Trait("Clause", "S0.2")]
    public async Task PolicyPage_InChromium_ShowsEverySectionInBothLanguagesAndLinksTermsToTheGlossary()
    {
        using var data = new TempFolder();
        await using var konzen = await KonzenProcess.StartAsync($"--Storage:DataDirectory={data.Path}");
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.Chromium.NewPageAsync();

        await page.GotoAsync(new Uri(konzen.Address, "/").ToString());
        await page.ClickAsync("a[href='/policy']");

        Assert.Equal("Konzen Privacy Policy", await page.InnerTextAsync("h1"));
        foreach (var section in Sections)
        {
            Assert.True(await page.Locator($"[id='{section}']").IsVisibleAsync(), $"section {section} is not visible");
        }

        Assert.Equal("1. Information We Collect", (await page.InnerTextAsync("[id='section-1']")).Trim());
        var term = page.Locator("a[href='#term-cookie']").First;
        await term.ClickAsync();
        Assert.EndsWith("#term-cookie", page.Url, StringComparison.Ordinal);
        Assert.True(await page.Locator("[id='term-cookie']").IsVisibleAsync());

        await page.ClickAsync("a[href='?lang=zh-CN']");
        await page.WaitForURLAsync("**/policy?lang=zh-CN");

        Assert.Equal("zh-CN", await page.GetAttributeAsync("html", "lang"));
        Assert.Equal("Konzen隐私政策", await page.InnerTextAsync("h1"));
        Assert.Contains("我们收集的信息", await page.InnerTextAsync("[id='section-1']"), StringComparison.Ordinal);
        foreach (var section in Sections)
        {
            Assert.True(await page.Locator($"[id='{section}']").IsVisibleAsync(), $"section {section} is not visible in Chinese");
        }
    }
}
