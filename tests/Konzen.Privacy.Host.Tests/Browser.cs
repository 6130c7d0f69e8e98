using Microsoft.Playwright;

namespace Konzen.Privacy.Host.Tests;

/// <summary>
/// A real headless Chromium, driven with Playwright. The browser is the machine's own
/// (<c>KONZEN_TEST_CHROMIUM</c>, default /usr/bin/chromium, which test.sh installs): Playwright's
/// download of its own browsers is not used.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    private readonly IPlaywright playwright;

    private Browser(IPlaywright playwright, IBrowser chromium)
    {
        this.playwright = playwright;
        Chromium = chromium;
    }

    public IBrowser Chromium { get; }

    public static async Task<Browser> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("KONZEN_TEST_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            // Root in CI needs --no-sandbox; the rest keep Chromium from calling out to a network this machine does not have.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return new Browser(playwright, chromium);
    }

    public async ValueTask DisposeAsync()
    {
        await Chromium.DisposeAsync();
        playwright.Dispose();
    }
}
