using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Konzen.Privacy.Host.Tests.Collection;

/// <summary>
/// The demo page in a real Chromium against a real `konzen` process: the consent banner, the event
/// sender and what actually reaches the store (read straight from the SQLite file).
/// </summary>
public sealed class DemoBrowserTests
{
    private const string Security = "essential.service.security";
    private const string Analytics = "analytics.reporting";
    private const string Personalize = "personalize";
    private const string Advertising = "marketing.advertising.profiling";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Clause", "S1.6")]
    [Trait("Clause", "S2.1")]
    public async Task Demo_BeforeAChoice_SetsNoCookieWritesNoStorageAndStoresOnlySecurityEvents()
    {
        await using var demo = await DemoPage.OpenAsync();
        await Expect(demo.Banner).ToBeVisibleAsync();

        await demo.SearchAndPickAsync("konzen");
        await demo.UntilStoredAsync(events => events.GetValueOrDefault(Security) >= 2);

        Assert.Empty(await demo.Context.CookiesAsync());
        Assert.Equal(0, await demo.Page.EvaluateAsync<int>("localStorage.length"));
        Assert.Equal(0, await demo.Page.EvaluateAsync<int>("sessionStorage.length"));
        Assert.Equal(0, await demo.Page.EvaluateAsync<int>("indexedDB.databases().then(d => d.length)"));
        Assert.Equal([Security], (await demo.StoredAsync()).Keys);
        await Expect(demo.Banner).ToBeVisibleAsync();
    }

    [Fact]
    [Trait("Clause", "S1.6")]
    public async Task Demo_AfterRejectAll_StoresNoAnalyticsPersonalizationOrAdvertisingEvent()
    {
        await using var demo = await DemoPage.OpenAsync();

        await demo.ChooseAsync("Reject all");
        await demo.SearchAndPickAsync("konzen");
        await demo.UntilStoredAsync(events => events.GetValueOrDefault(Security) >= 2);

        // A page that ignored the SDK and posted an analytics event anyway: the server drops it too.
        var answer = await demo.Page.EvaluateAsync<JsonElement>(
            "fetch('/api/v1/events', {method: 'POST', headers: {'Content-Type': 'application/json'}, " +
            "body: JSON.stringify({events: [{type: 'click', purpose: 'analytics', at: new Date().toISOString()}]})}).then(r => r.json())");
        var cookies = await demo.Context.CookiesAsync();

        Assert.Equal(1, answer.GetProperty("dropped").GetInt32());
        Assert.Equal("konzen.visitor", Assert.Single(cookies).Name);
        Assert.Equal([Security], (await demo.StoredAsync()).Keys);
        Assert.All(await demo.ConsentsAsync(), c => Assert.False(c.Value, c.Key));
    }

    [Fact]
    [Trait("Clause", "S1.5")]
    [Trait("Clause", "S1.6")]
    public async Task Demo_AfterAcceptAll_StoresAnalyticsPersonalizationAndAdvertisingEvents()
    {
        await using var demo = await DemoPage.OpenAsync();

        await demo.ChooseAsync("Accept all");
        await demo.SearchAndPickAsync("konzen");

        await demo.UntilStoredAsync(events => new[] { Security, Analytics, Personalize, Advertising }.All(p => events.GetValueOrDefault(p) > 0));
        Assert.All(await demo.ConsentsAsync(), c => Assert.True(c.Value, c.Key));
    }

    [Fact]
    [Trait("Clause", "S1.6")]
    public async Task Demo_WithGlobalPrivacyControl_RefusesAdvertisingEvenAfterAcceptAll()
    {
        await using var demo = await DemoPage.OpenAsync(gpc: true);

        await demo.ChooseAsync("Accept all");
        await demo.SearchAndPickAsync("konzen");
        await demo.UntilStoredAsync(events => events.GetValueOrDefault(Analytics) > 0 && events.GetValueOrDefault(Personalize) > 0);
        await demo.Page.GetByRole(AriaRole.Link, new() { Name = "Privacy choices" }).ClickAsync();
        var advertisingSwitch = demo.Choices.GetByRole(AriaRole.Switch, new() { Name = "personalized advertising" });

        await Expect(advertisingSwitch).ToBeDisabledAsync();
        await Expect(advertisingSwitch).Not.ToBeCheckedAsync();
        await Expect(demo.Choices).ToContainTextAsync("Global Privacy Control");
        var consents = await demo.ConsentsAsync();
        Assert.False(consents[Advertising]);
        Assert.False(consents["analytics.reporting.ad_performance"]);
        Assert.True(consents[Analytics]);
        Assert.Equal(0, (await demo.StoredAsync()).GetValueOrDefault(Advertising));
        Assert.Equal(["analytics.reporting.ad_performance", Advertising], await demo.RecordedRefusalsAsync());
    }

    [Fact]
    [Trait("Clause", "S2.1")]
    [Trait("Clause", "S1.6")]
    public async Task Demo_WithdrawingThroughThePanelWhileOffline_EmptiesTheLocalQueueAndNoAnalyticsEventReachesTheStore()
    {
        await using var demo = await DemoPage.OpenAsync();
        await demo.ChooseAsync("Accept all");
        await demo.UntilStoredAsync(events => events.GetValueOrDefault(Analytics) > 0);
        var analyticsBefore = (await demo.StoredAsync())[Analytics];

        await demo.Context.SetOfflineAsync(true);
        await demo.Page.GetByRole(AriaRole.Textbox, new() { Name = "Domain name" }).FillAsync("offline");
        await demo.Page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
        await demo.Page.WaitForFunctionAsync(
            "JSON.parse(localStorage.getItem('konzen.queue') || '[]').some(e => e.purpose === 'analytics')", null, new() { Timeout = (float)Deadline.TotalMilliseconds });
        var queued = await demo.QueuedPurposesAsync();

        await demo.Page.GetByRole(AriaRole.Link, new() { Name = "Privacy choices" }).ClickAsync();
        await demo.Choices.GetByRole(AriaRole.Button, new() { Name = "Reject all" }).ClickAsync();
        var afterWithdrawal = await demo.QueuedPurposesAsync();
        var inMemory = await demo.Page.EvaluateAsync<int>("Konzen.queued().length");

        await demo.Context.SetOfflineAsync(false);
        await demo.UntilAsync(async () => !(await demo.ConsentsAsync())[Analytics]);
        await demo.Page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
        await demo.Page.GetByRole(AriaRole.Button, new() { Name = "Select" }).First.ClickAsync();
        await demo.UntilStoredAsync(events => events.GetValueOrDefault(Security) >= 2);

        Assert.Contains("analytics", queued);
        Assert.Contains("advertising", queued);
        Assert.Empty(afterWithdrawal);
        Assert.Equal(0, inMemory);
        Assert.Null(await demo.Page.EvaluateAsync<string?>("localStorage.getItem('konzen.queue')"));
        var stored = await demo.StoredAsync();
        Assert.Equal(analyticsBefore, stored[Analytics]);
        Assert.Equal(0, stored.GetValueOrDefault(Advertising));
    }

    [Fact]
    [Trait("Clause", "S1.3")]
    [Trait("Clause", "S1.4")]
    public async Task Positioning_OnThenOffWhileOffline_SendsFixesThenClearsTheCachedPointAndReportsOff()
    {
        await using var smtp = new TestSmtpServer();
        await using var demo = await DemoPage.OpenAsync(
            settings: ["--Email:Host=127.0.0.1", $"--Email:Port={smtp.Port.ToString(CultureInfo.InvariantCulture)}"],
            geolocation: new Geolocation { Latitude = 31.2304f, Longitude = 121.4737f, Accuracy = 10 });
        await demo.RegisterAndSignInAsync("walker@example.com", smtp);
        Assert.Equal(200, await demo.Page.EvaluateAsync<int>(
            "fetch('/api/v1/me/consents/functional.location', {method: 'PUT', headers: {'Content-Type': 'application/json'}, body: '{\"granted\":true}'}).then(r => r.status)"));

        Assert.True(await demo.Page.EvaluateAsync<bool>("Konzen.positioning(true)"));
        await demo.UntilAsync(async () => await demo.PointsAsync() == 1);

        await demo.Context.SetOfflineAsync(true);
        await demo.Context.SetGeolocationAsync(new Geolocation { Latitude = 31.3f, Longitude = 121.5f, Accuracy = 10 });
        await demo.Page.WaitForFunctionAsync(
            "JSON.parse(localStorage.getItem('konzen.points') || '[]').length > 0", null, new() { Timeout = (float)Deadline.TotalMilliseconds });
        Assert.False(await demo.Page.EvaluateAsync<bool>("Konzen.positioning(false)"));
        var cachedAfterOff = await demo.Page.EvaluateAsync<string?>("localStorage.getItem('konzen.points')");
        await demo.Context.SetOfflineAsync(false);
        await demo.UntilAsync(async () => await demo.PositioningOffAsync());

        Assert.Null(cachedAfterOff);
        Assert.Equal(1, await demo.PointsAsync());
    }

    [Fact]
    [Trait("Clause", "S1.6")]
    public async Task Demo_LanguageSwitchAndPrivacyChoicesLink_RedrawTheBannerAndReopenTheChoicesToChange()
    {
        await using var demo = await DemoPage.OpenAsync(lang: "zh-CN");
        await Expect(demo.Page.GetByRole(AriaRole.Dialog, new() { Name = "您的隐私选择" })).ToBeVisibleAsync();

        await demo.Page.GetByRole(AriaRole.Button, new() { Name = "English" }).ClickAsync();
        await Expect(demo.Page.GetByRole(AriaRole.Dialog, new() { Name = "Your privacy choices" })).ToBeVisibleAsync();
        await Expect(demo.Page.Locator("h1")).ToHaveTextAsync("Find your domain");
        await demo.ChooseAsync("Reject all");
        await demo.Page.GetByRole(AriaRole.Link, new() { Name = "Privacy choices" }).ClickAsync();
        var panel = demo.Page.GetByRole(AriaRole.Dialog, new() { Name = "Choose what we may use" });
        await panel.GetByRole(AriaRole.Switch, new() { Name = "personalization" }).CheckAsync();
        await panel.GetByRole(AriaRole.Button, new() { Name = "Save choices" }).ClickAsync();
        await Expect(panel).ToBeHiddenAsync();
        await demo.Page.GetByRole(AriaRole.Link, new() { Name = "Privacy choices" }).ClickAsync();
        await demo.Page.Keyboard.PressAsync("Escape");

        await Expect(panel).ToBeHiddenAsync();

        // The panel closes at once; the grant holds once the server has answered.
        await demo.UntilAsync(async () => (await demo.ConsentsAsync())[Personalize]);
        var consents = await demo.ConsentsAsync();
        Assert.Equal([Personalize], consents.Where(c => c.Value).Select(c => c.Key));
    }

    [Theory]
    [InlineData("en", "Your privacy choices", "Accept all", "Reject all", "Choose", "usage analytics")]
    [InlineData("zh-CN", "您的隐私选择", "全部接受", "全部拒绝", "自行选择", "使用情况分析")]
    [Trait("Clause", "S1.6")]
    public async Task Banner_InEachLanguage_ShowsThreeEquallyProminentButtonsAndOpensTheChoicesByKeyboard(
        string lang, string title, string accept, string reject, string choose, string analyticsName)
    {
        await using var demo = await DemoPage.OpenAsync(lang: lang);
        var banner = demo.Page.GetByRole(AriaRole.Dialog, new() { Name = title });
        await Expect(banner).ToBeVisibleAsync();

        var buttons = new[] { accept, reject, choose }.Select(name => banner.GetByRole(AriaRole.Button, new() { Name = name, Exact = true })).ToList();
        var boxes = new List<LocatorBoundingBoxResult>();
        var styles = new List<string>();
        foreach (var button in buttons)
        {
            boxes.Add((await button.BoundingBoxAsync())!);
            styles.Add(await button.EvaluateAsync<string>(
                "b => { const s = getComputedStyle(b); return [s.backgroundColor, s.color, s.fontSize, s.fontWeight, s.borderTopWidth, s.borderTopColor, s.padding].join('|'); }"));
        }

        Assert.Equal(3, await banner.GetByRole(AriaRole.Button).CountAsync());
        Assert.All(boxes, b => Assert.InRange(b.Width, boxes[0].Width - 0.5, boxes[0].Width + 0.5));
        Assert.All(boxes, b => Assert.InRange(b.Height, boxes[0].Height - 0.5, boxes[0].Height + 0.5));
        Assert.All(boxes, b => Assert.InRange(b.Y, boxes[0].Y - 0.5, boxes[0].Y + 0.5));
        Assert.Single(styles.Distinct());
        await Expect(buttons[0]).ToBeFocusedAsync();

        await demo.Page.Keyboard.PressAsync("Tab");
        await demo.Page.Keyboard.PressAsync("Tab");
        await Expect(buttons[2]).ToBeFocusedAsync();
        await demo.Page.Keyboard.PressAsync("Enter");

        await Expect(demo.Page.GetByRole(AriaRole.Switch, new() { Name = analyticsName })).Not.ToBeCheckedAsync();
        Assert.Empty(await demo.Context.CookiesAsync());
    }

    /// <summary>One `konzen` process, one Chromium context on its demo page, and the store's SQLite file.</summary>
    private sealed class DemoPage : IAsyncDisposable
    {
        private readonly TempFolder data;
        private readonly KonzenProcess konzen;
        private readonly Browser browser;

        private DemoPage(TempFolder data, KonzenProcess konzen, Browser browser, IBrowserContext context, IPage page)
        {
            this.data = data;
            this.konzen = konzen;
            this.browser = browser;
            Context = context;
            Page = page;
        }

        public IBrowserContext Context { get; }

        public IPage Page { get; }

        public ILocator Banner => Page.Locator("#konzen-banner");

        public ILocator Choices => Page.Locator("#konzen-choices");

        public static async Task<DemoPage> OpenAsync(string lang = "en", bool gpc = false, string[]? settings = null, Geolocation? geolocation = null)
        {
            var data = new TempFolder();
            var konzen = await KonzenProcess.StartAsync([$"--Storage:DataDirectory={data.Path}", .. settings ?? []]);
            var browser = await Browser.LaunchAsync();
            var options = new BrowserNewContextOptions { BaseURL = konzen.Address.ToString() };
            if (geolocation is not null)
            {
                options.Geolocation = geolocation;
                options.Permissions = ["geolocation"];
            }

            if (gpc)
            {
                // Chromium does not send the signal itself; this is what a browser with GPC on sends and shows.
                options.ExtraHTTPHeaders = new Dictionary<string, string> { ["Sec-GPC"] = "1" };
            }

            var context = await browser.Chromium.NewContextAsync(options);
            if (gpc)
            {
                await context.AddInitScriptAsync("Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });");
            }

            var page = await context.NewPageAsync();
            await page.GotoAsync(lang == "en" ? "/demo" : $"/demo?lang={lang}");
            return new DemoPage(data, konzen, browser, context, page);
        }

        /// <summary>Clicks a banner button and waits for the server's answer to close the banner.</summary>
        public async Task ChooseAsync(string button)
        {
            await Banner.GetByRole(AriaRole.Button, new() { Name = button }).ClickAsync();
            await Expect(Banner).ToBeHiddenAsync();
        }

        public async Task SearchAndPickAsync(string name)
        {
            await Page.GetByRole(AriaRole.Textbox, new() { Name = "Domain name" }).FillAsync(name);
            await Page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
            await Page.GetByRole(AriaRole.Button, new() { Name = "Select" }).First.ClickAsync();
            await Page.EvaluateAsync("Konzen.flush()");
        }

        /// <summary>Registers <paramref name="email"/> through the API and signs the page in with a session cookie.</summary>
        public async Task RegisterAndSignInAsync(string email, TestSmtpServer smtp)
        {
            var policy = await konzen.Http.GetFromJsonAsync<JsonElement>("/api/v1/policy", Cancel);
            var hash = policy.GetProperty("version").GetProperty("contentHash").GetString();
            using var registered = await konzen.Http.PostAsJsonAsync(
                "/api/v1/registrations", new { email, password = "correct horse battery", birthDate = "1990-05-17", acceptedPolicyHash = hash }, Cancel);
            var registrationId = (await registered.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("registrationId").GetGuid();
            var code = SubjectsHost.CodeIn((await smtp.WaitForAsync(1, TimeSpan.FromSeconds(30)))[0].TextBody ?? string.Empty);
            using var verified = await konzen.Http.PostAsJsonAsync($"/api/v1/registrations/{registrationId}/verify", new { channel = "email", code }, Cancel);
            Assert.Equal(HttpStatusCode.Created, verified.StatusCode);
            var status = await Page.EvaluateAsync<int>(
                "email => fetch('/api/v1/sessions', {method: 'POST', headers: {'Content-Type': 'application/json'}, " +
                "body: JSON.stringify({email, password: 'correct horse battery', mode: 'cookie'})}).then(r => r.status)", email);
            Assert.Equal(200, status);
        }

        /// <summary>How many location points the store holds.</summary>
        public async Task<long> PointsAsync() => await ScalarAsync("SELECT count(*) FROM location_points");

        /// <summary>Whether the store holds a positioning "off" report.</summary>
        public async Task<bool> PositioningOffAsync() => await ScalarAsync("SELECT count(*) FROM positioning_states WHERE NOT \"On\"") > 0;

        /// <summary>Stored log events per policy purpose, read from the data store's file.</summary>
        public async Task<Dictionary<string, int>> StoredAsync()
        {
            await using var connection = Open();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT purpose, count(*) FROM log_events GROUP BY purpose ORDER BY purpose";
            await using var reader = await command.ExecuteReaderAsync(Cancel);
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            while (await reader.ReadAsync(Cancel))
            {
                counts[reader.GetString(0)] = reader.GetInt32(1);
            }

            return counts;
        }

        /// <summary>The purposes the ledger holds withdrawn for the (single) visitor, in order.</summary>
        public async Task<List<string>> RecordedRefusalsAsync()
        {
            await using var connection = Open();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT \"PurposeKey\" FROM consent_events WHERE NOT \"Granted\" ORDER BY \"PurposeKey\"";
            await using var reader = await command.ExecuteReaderAsync(Cancel);
            var keys = new List<string>();
            while (await reader.ReadAsync(Cancel))
            {
                keys.Add(reader.GetString(0));
            }

            return keys;
        }

        /// <summary>The visitor's consents as the server answers the page (with the page's cookies and headers).</summary>
        public async Task<Dictionary<string, bool>> ConsentsAsync()
        {
            var answer = await Page.EvaluateAsync<JsonElement>("fetch('/api/v1/visitor/consents').then(r => r.json())");
            return answer.GetProperty("purposes").EnumerateArray()
                .ToDictionary(p => p.GetProperty("purpose").GetString()!, p => p.GetProperty("granted").GetBoolean(), StringComparer.Ordinal);
        }

        /// <summary>The purposes of the events waiting in the SDK's local-storage queue.</summary>
        public async Task<string[]> QueuedPurposesAsync() =>
            await Page.EvaluateAsync<string[]>("JSON.parse(localStorage.getItem('konzen.queue') || '[]').map(e => e.purpose)");

        public async Task UntilStoredAsync(Func<Dictionary<string, int>, bool> condition)
        {
            var last = new Dictionary<string, int>();
            try
            {
                await UntilAsync(async () => condition(last = await StoredAsync()));
            }
            catch (OperationCanceledException) when (!Cancel.IsCancellationRequested)
            {
                Assert.Fail($"The store never held the expected events; it holds {string.Join(", ", last.Select(e => $"{e.Key}={e.Value}"))}.");
            }
        }

        /// <summary>Polls <paramref name="condition"/> until it holds, failing after the deadline: no fixed sleeps.</summary>
        public async Task UntilAsync(Func<Task<bool>> condition)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
            deadline.CancelAfter(Deadline);
            while (!await condition())
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Context.DisposeAsync();
            await browser.DisposeAsync();
            await konzen.DisposeAsync();
            data.Dispose();
        }

        private async Task<long> ScalarAsync(string sql)
        {
            await using var connection = Open();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return (long)(await command.ExecuteScalarAsync(Cancel))!;
        }

        private SqliteConnection Open()
        {
            // Read-only and unpooled: the service owns the file, and the folder is deleted after the test.
            var connection = new SqliteConnection($"Data Source={Path.Combine(data.Path, "privacy.db")};Mode=ReadOnly;Pooling=False");
            connection.Open();
            return connection;
        }
    }
}
