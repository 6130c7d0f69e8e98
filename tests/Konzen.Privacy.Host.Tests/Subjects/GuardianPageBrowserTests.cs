using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Konzen.Privacy.Host.Tests.Subjects;

/// <summary>
/// The guardian page (S8.1) in a real Chromium against a real `konzen` process on each store: the minor
/// names a guardian through the API, the guardian opens the link from the real mail, and what the page
/// does is checked in the store and through the minor's own decisions.
/// </summary>
public sealed partial class GuardianPageBrowserTests
{
    private const string Analytics = "analytics.reporting";
    private const string Ads = "marketing.advertising.profiling";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S8.1")]
    public async Task GuardianPage_FromTheLink_VerifiesAllowsAndWithdrawsWithNothingKeptInTheBrowser(DatabaseProvider provider)
    {
        await using var bed = await GuardianBed.StartAsync(provider);
        var minorId = await bed.MinorWithGuardianAsync("en");
        var page = await bed.NewPageAsync();

        await page.GotoAsync(bed.Link);
        var analytics = page.Locator($"#optional li[data-purpose='{Analytics}']");
        await Expect(analytics).ToContainTextAsync("Not allowed");

        // The code left the address bar; the page shows the purposes as the policy and the API state them.
        Assert.DoesNotContain("code=", page.Url, StringComparison.Ordinal);
        await Expect(page.Locator("#necessary li[data-purpose='essential.service']")).ToContainTextAsync("Needed for the service");
        var ads = page.Locator($"#excluded li[data-purpose='{Ads}']");
        await Expect(ads).ToContainTextAsync("Not offered");
        Assert.Equal(0, await ads.GetByRole(AriaRole.Button).CountAsync());
        var allow = analytics.GetByRole(AriaRole.Button, new() { Name = "Allow", Exact = true });
        var deny = analytics.GetByRole(AriaRole.Button, new() { Name = "Do not allow", Exact = true });
        Assert.Equal(await LookAsync(allow), await LookAsync(deny));
        Assert.False(await bed.MinorAllowedAsync());

        await allow.ClickAsync();
        await Expect(analytics.Locator(".state")).ToHaveTextAsync("Allowed");
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved: “usage analytics” is now allowed.");

        Assert.True(await bed.MinorAllowedAsync());
        var grant = Assert.Single(await bed.ConsentsAsync(minorId));
        Assert.Equal((true, ConsentMethod.Guardian), (grant.Granted, grant.Method));

        // The token lived in the page only: reloaded, the page knows nothing, and no cookie or storage holds it.
        await page.GetByText("Coming back later").ClickAsync();
        var key = await page.Locator("#choices").GetByLabel("Access key").InputValueAsync();
        await page.ReloadAsync();
        await Expect(page.Locator("#no-account")).ToBeVisibleAsync();
        Assert.True(await page.Locator("#choices").IsHiddenAsync());
        Assert.Empty(await page.Context.CookiesAsync());
        Assert.Equal(0, await page.EvaluateAsync<int>("localStorage.length + sessionStorage.length"));

        // The guardian comes back with the access key the page showed, and withdraws.
        await page.Locator("#return").GetByLabel("Access key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Open", Exact = true }).ClickAsync();
        await Expect(analytics.Locator(".state")).ToHaveTextAsync("Allowed");
        await analytics.GetByRole(AriaRole.Button, new() { Name = "Withdraw consent: usage analytics" }).ClickAsync();
        await Expect(analytics.Locator(".state")).ToHaveTextAsync("Not allowed");
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved: “usage analytics” is not allowed.");

        Assert.False(await bed.MinorAllowedAsync());
        Assert.Equal([true, false], (await bed.ConsentsAsync(minorId)).Select(e => e.Granted));
        Assert.Equal(0, await analytics.GetByRole(AriaRole.Button, new() { Name = "Withdraw consent: usage analytics" }).CountAsync());
        Assert.Empty(await page.Context.CookiesAsync());
        Assert.Equal(0, await page.EvaluateAsync<int>("localStorage.length + sessionStorage.length"));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S8.1")]
    public async Task GuardianPage_WithAWrongCodeInChinese_ShowsTheErrorChangesNothingThenTheTypedCodeWorks(DatabaseProvider provider)
    {
        await using var bed = await GuardianBed.StartAsync(provider);
        var minorId = await bed.MinorWithGuardianAsync("zh-CN");
        var code = CodeOf().Match(bed.Link).Groups[1].Value;
        var wrong = code == "000000" ? "000001" : "000000";
        var before = await SubjectsHost.DumpAsync(bed.Store, Cancel);
        var page = await bed.NewPageAsync();

        await page.GotoAsync(bed.Link.Replace($"code={code}", $"code={wrong}", StringComparison.Ordinal));

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("验证码未被接受。");
        Assert.Equal("zh-CN", await page.GetAttributeAsync("html", "lang"));
        Assert.True(await page.Locator("#choices").IsHiddenAsync());

        // A wrong code spends one of the attempts (a six-digit code must not be guessable); nothing else changes.
        var after = await SubjectsHost.DumpAsync(bed.Store, Cancel);
        Assert.Equal(Without(before, "minor_accounts"), Without(after, "minor_accounts"));
        var account = await bed.AccountAsync(minorId);
        Assert.Equal((1, null, null), (account.CodeAttempts, account.GuardianVerifiedAt, account.TokenHash));

        await page.GetByLabel("验证码（6 位数字）").FillAsync(code);
        await page.GetByRole(AriaRole.Button, new() { Name = "确认", Exact = true }).ClickAsync();

        await Expect(page.Locator($"#optional li[data-purpose='{Analytics}']")).ToContainTextAsync("使用情况分析");
        await Expect(page.GetByRole(AriaRole.Alert)).ToBeHiddenAsync();
        await Expect(page.GetByLabel("验证码（6 位数字）")).ToBeHiddenAsync();
        Assert.NotNull((await bed.AccountAsync(minorId)).GuardianVerifiedAt);
    }

    /// <summary>The look of a choice button: both answers must weigh the same.</summary>
    private static async Task<string> LookAsync(ILocator button)
    {
        var box = (await button.BoundingBoxAsync())!;
        var style = await button.EvaluateAsync<string>(
            "b => { const s = getComputedStyle(b); return [s.backgroundColor, s.color, s.fontSize, s.fontWeight, s.borderTopWidth, s.borderTopColor, s.padding].join('|'); }");
        return string.Create(CultureInfo.InvariantCulture, $"{box.Width:F0}x{box.Height:F0}|{box.Y:F0}|{style}");
    }

    private static Dictionary<string, IReadOnlyList<string>> Without(IReadOnlyDictionary<string, IReadOnlyList<string>> dump, string table) =>
        dump.Where(t => !t.Key.EndsWith($".{table}", StringComparison.Ordinal)).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);

    [GeneratedRegex(@"[?&#]code=(\d{6})")]
    private static partial Regex CodeOf();

    [GeneratedRegex(@"/guardian\S*#minor=[0-9a-f]{32}&code=\d{6}")]
    private static partial Regex LinkIn();

    /// <summary>A store, a real SMTP server, a `konzen` process over both, and a Chromium.</summary>
    private sealed class GuardianBed : IAsyncDisposable
    {
        private readonly TempFolder data;
        private readonly TestSmtpServer smtp;
        private readonly KonzenProcess konzen;
        private readonly Browser browser;
        private readonly HttpClient minor = new();
        private IBrowserContext? context;

        private GuardianBed(TestStore store, TempFolder data, TestSmtpServer smtp, KonzenProcess konzen, Browser browser)
        {
            Store = store;
            this.data = data;
            this.smtp = smtp;
            this.konzen = konzen;
            this.browser = browser;
        }

        public TestStore Store { get; }

        /// <summary>The link of the guardian's message, as it arrived by mail.</summary>
        public string Link { get; private set; } = string.Empty;

        public static async Task<GuardianBed> StartAsync(DatabaseProvider provider)
        {
            var store = await TestStore.CreateAsync(provider, Cancel);
            var data = new TempFolder();
            var smtp = new TestSmtpServer();
            var konzen = await KonzenProcess.StartAsync(
                $"--Storage:Database={store.DatabaseConnectionString}", $"--Storage:KeyStore={store.KeyStoreConnectionString}",
                $"--Storage:DataDirectory={data.Path}", "--Email:Host=127.0.0.1", $"--Email:Port={smtp.Port.ToString(CultureInfo.InvariantCulture)}");
            return new GuardianBed(store, data, smtp, konzen, await Browser.LaunchAsync());
        }

        /// <summary>
        /// A 16-year-old registers and signs in through the API and names a guardian by email, in
        /// <paramref name="language"/>; <see cref="Link"/> is then the link of the guardian's message.
        /// </summary>
        public async Task<Guid> MinorWithGuardianAsync(string language)
        {
            var policy = await konzen.Http.GetFromJsonAsync<JsonElement>("/api/v1/policy", Cancel);
            var hash = policy.GetProperty("version").GetProperty("contentHash").GetString();
            var born = DateOnly.FromDateTime(DateTime.UtcNow).AddYears(-16);
            const string email = "teen@example.com", password = "correct horse battery";
            using var registered = await konzen.Http.PostAsJsonAsync(
                "/api/v1/registrations", new { email, password, birthDate = born, acceptedPolicyHash = hash }, Cancel);
            var minorId = (await registered.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("registrationId").GetGuid();
            var code = SubjectsHost.CodeIn((await smtp.WaitForAsync(1, TimeSpan.FromSeconds(30)))[0].TextBody ?? string.Empty);
            using var verified = await konzen.Http.PostAsJsonAsync($"/api/v1/registrations/{minorId}/verify", new { channel = "email", code }, Cancel);
            Assert.Equal(HttpStatusCode.Created, verified.StatusCode);

            minor.BaseAddress = konzen.Address;
            using var session = await minor.PostAsJsonAsync("/api/v1/sessions", new { email, password, mode = "token" }, Cancel);
            var token = (await session.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("accessToken").GetString();
            minor.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var named = await minor.PutAsJsonAsync("/api/v1/me/guardian", new { email = "parent@example.com", language }, Cancel);
            Assert.Equal(HttpStatusCode.Accepted, named.StatusCode);

            var message = (await smtp.WaitForAsync(2, TimeSpan.FromSeconds(30)))[1];
            Assert.Equal("parent@example.com", message.To.Mailboxes.Single().Address);
            Link = LinkIn().Match(message.TextBody ?? string.Empty).Value;
            Assert.NotEmpty(Link);
            return minorId;
        }

        public async Task<IPage> NewPageAsync()
        {
            context ??= await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = konzen.Address.ToString() });
            return await context.NewPageAsync();
        }

        /// <summary>The purpose gate's answer for the minor's own use of analytics, through the API.</summary>
        public async Task<bool> MinorAllowedAsync() =>
            (await minor.GetFromJsonAsync<JsonElement>($"/api/v1/me/decisions?purpose={Analytics}&category=user.behavior.clicks", Cancel)).GetProperty("allowed").GetBoolean();

        public async Task<List<ConsentEvent>> ConsentsAsync(Guid minorId)
        {
            await using var db = Store.NewDataContext();
            return await db.Set<ConsentEvent>().AsNoTracking().Where(e => e.SubjectId == minorId && e.PurposeKey == Analytics).OrderBy(e => e.Id).ToListAsync(Cancel);
        }

        public async Task<MinorAccount> AccountAsync(Guid minorId)
        {
            await using var db = Store.NewDataContext();
            return await db.Set<MinorAccount>().AsNoTracking().SingleAsync(a => a.SubjectId == minorId, Cancel);
        }

        public async ValueTask DisposeAsync()
        {
            if (context is not null)
            {
                await context.DisposeAsync();
            }

            await browser.DisposeAsync();
            minor.Dispose();
            await konzen.DisposeAsync();
            await smtp.DisposeAsync();
            await Store.DisposeAsync();
            data.Dispose();
        }
    }
}
