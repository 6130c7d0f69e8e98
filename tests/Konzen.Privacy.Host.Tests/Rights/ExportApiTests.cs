using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Konzen.Privacy.Host.Rights;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Storage;

namespace Konzen.Privacy.Host.Tests.Rights;

public sealed class ExportApiTests(ITestOutputHelper output)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    public async Task ExportJson_SubjectWithDataInEveryCategory_HoldsAllOfItAndNothingOfAnother(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel, ExportBed.Settings);
        var other = await ExportBed.SeedAsync(host, "other@example.com", "+8613900001111", 1, 2, Cancel);
        var mine = await ExportBed.SeedAsync(host, "mine@example.com", "+8613800002222", 2, 1, Cancel);
        var client = await ExportBed.SignInAsync(host, mine.Email, Cancel);

        using var response = await client.GetAsync("/api/v1/me/data", Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        Assert.Equal(1, root.GetProperty("version").GetInt32());
        Assert.Equal(mine.Id, root.GetProperty("subjectId").GetGuid());
        var fields = root.GetProperty("account").GetProperty("fields").EnumerateArray()
            .ToDictionary(f => f.GetProperty("category").GetString()!, f => f.GetProperty("value").GetString());
        Assert.Equal(mine.Email, fields["user.contact.email"]);
        Assert.Equal(mine.Phone, fields["user.contact.phone_number"]);
        Assert.Equal("1990-05-17", fields["user.demographic.date_of_birth"]);
        var consents = root.GetProperty("consents").EnumerateArray().ToList();
        Assert.Equal(4, consents.Count);
        Assert.Equal([true, false], consents.Where(c => c.GetProperty("purpose").GetString() == "personalize").Select(c => c.GetProperty("granted").GetBoolean()));
        Assert.All(consents, c => Assert.Equal(3, c.GetProperty("receipt").GetString()!.Split('.').Length));
        var transfer = Assert.Single(root.GetProperty("transferConsents").EnumerateArray());
        Assert.Equal(mine.TransferId, transfer.GetProperty("transferId").GetString());
        Assert.False(root.GetProperty("positioning").GetProperty("on").GetBoolean());
        var point = Assert.Single(root.GetProperty("locations").EnumerateArray());
        Assert.Equal(mine.PointId, point.GetProperty("id").GetGuid());
        Assert.Equal(mine.Latitude, point.GetProperty("latitude").GetDouble());
        Assert.Equal(mine.Longitude, point.GetProperty("longitude").GetDouble());
        var events = root.GetProperty("logEvents").EnumerateArray().ToList();
        Assert.Equal(3, events.Count);
        Assert.Equal(2, events.Select(e => e.GetProperty("period").GetInt32()).Distinct().Count());
        Assert.All(events, e => Assert.Equal(mine.Page, e.GetProperty("page").GetString()));
        Assert.All(events, e => Assert.Equal(mine.Target, e.GetProperty("target").GetString()));
        var staff = Assert.Single(root.GetProperty("staffAccesses").EnumerateArray());
        Assert.Equal("staff:ana", staff.GetProperty("actor").GetString());
        Assert.Equal("user.contact.email", staff.GetProperty("field").GetString());
        Assert.Contains(root.GetProperty("activity").EnumerateArray(), a => a.GetProperty("action").GetString() == "rights.exported");
        Assert.Empty(root.GetProperty("disclosures").EnumerateArray());
        var request = Assert.Single(root.GetProperty("requests").EnumerateArray());
        Assert.Equal((mine.Question, "question", "received"), (request.GetProperty("text").GetString(), request.GetProperty("kind").GetString(), request.GetProperty("status").GetString()));
        Assert.Single(request.GetProperty("history").EnumerateArray());
        Assert.Equal(
            [(mine.RecipientId, mine.RecipientName, "user.contact.email", true), (mine.RecipientId, mine.RecipientName, "", false)],
            root.GetProperty("identifyingAuthorizations").EnumerateArray().Select(a => (
                a.GetProperty("recipientId").GetString(), a.GetProperty("recipientName").GetString(),
                string.Join(",", a.GetProperty("categories").EnumerateArray().Select(c => c.GetString())), a.GetProperty("granted").GetBoolean())));
        Assert.Equal(
            [(mine.NoticeId, mine.NoticeHash, "en", true), (mine.NoticeId, null, null, false)],
            root.GetProperty("publicDisclosureConsents").EnumerateArray().Select(c => (
                c.GetProperty("noticeId").GetGuid(), c.GetProperty("noticeHash").GetString(), c.GetProperty("language").GetString(), c.GetProperty("granted").GetBoolean())));
        var notifications = root.GetProperty("notifications");
        Assert.Equal("zh-CN", notifications.GetProperty("language").GetString());
        var items = notifications.GetProperty("items").EnumerateArray().ToDictionary(n => n.GetProperty("channel").GetString()!);
        Assert.Equal(["email", "in-app"], items.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(("sent", JsonValueKind.String), (items["in-app"].GetProperty("status").GetString(), items["in-app"].GetProperty("readAt").ValueKind));
        Assert.Equal(("pending", JsonValueKind.Null), (items["email"].GetProperty("status").GetString(), items["email"].GetProperty("sentAt").ValueKind));
        Assert.All(items.Values, n => Assert.Equal(("controller-transferred", "zh-CN"), (n.GetProperty("template").GetString(), n.GetProperty("language").GetString())));
        Assert.All(items.Values, n => Assert.Equal($"{mine.Heir} 现在负责处理您的个人信息", n.GetProperty("subject").GetString()));
        Assert.All(items.Values, n => Assert.Contains($"{mine.Heir} 接替 Konzen", n.GetProperty("body").GetString(), StringComparison.Ordinal));
        AssertNothingOf(other, text);

        // The published schema names exactly the document's sections.
        var schema = await client.GetFromJsonAsync<JsonElement>(root.GetProperty("$schema").GetString(), Cancel);
        Assert.Equal(
            schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal),
            root.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.All(schema.GetProperty("required").EnumerateArray(), r => Assert.True(root.TryGetProperty(r.GetString()!, out _)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    public async Task ExportZip_SubjectWithDataInEveryCategory_HoldsJsonCsvsAndPageWithNothingOfAnother(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel, ExportBed.Settings);
        var other = await ExportBed.SeedAsync(host, "other@example.com", "+8613900001111", 1, 2, Cancel);
        var mine = await ExportBed.SeedAsync(host, "mine@example.com", "+8613800002222", 2, 1, Cancel);
        var client = await ExportBed.SignInAsync(host, mine.Email, Cancel);
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("zh-CN");

        using var response = await client.GetAsync("/api/v1/me/data.zip", Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync(Cancel)), ZipArchiveMode.Read);
        var files = zip.Entries.ToDictionary(e => e.FullName, Read);
        Assert.Equal(
            [
                "account.csv", "activity.csv", "consents.csv", "data.json", "disclosures.csv", "guardian.csv", "identifying-authorizations.csv", "index.html", "locations.csv", "log-events.csv",
                "notification-language.csv", "notifications.csv", "positioning.csv", "public-disclosure-consents.csv", "requests.csv", "staff-accesses.csv", "transfer-consents.csv",
            ],
            files.Keys.Order(StringComparer.Ordinal));
        using (var json = JsonDocument.Parse(files["data.json"].Text))
        {
            Assert.Equal(mine.Id, json.RootElement.GetProperty("subjectId").GetGuid());
            Assert.Equal(3, json.RootElement.GetProperty("logEvents").GetArrayLength());
        }

        foreach (var (name, file) in files.Where(f => f.Key.EndsWith(".csv", StringComparison.Ordinal)))
        {
            Assert.True(file.Bom, $"{name} starts with a byte order mark");
        }

        var account = Csv(files["account.csv"].Text);
        Assert.Contains(account, r => r[0] == "user.contact.email" && r[1] == mine.Email);
        Assert.Contains(account, r => r[0] == "user.contact.phone_number" && r[1] == "'" + mine.Phone);
        Assert.Equal(4, Csv(files["consents.csv"].Text).Count - 1);
        var location = Csv(files["locations.csv"].Text)[1];
        Assert.Equal(mine.Latitude, double.Parse(location[5], CultureInfo.InvariantCulture));
        Assert.Equal(mine.Longitude, double.Parse(location[6], CultureInfo.InvariantCulture));
        var events = Csv(files["log-events.csv"].Text).Skip(1).ToList();
        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.Equal(mine.Page, e[8]));
        Assert.Equal("staff:ana", Csv(files["staff-accesses.csv"].Text)[1][2]);
        Assert.Equal(mine.TransferId, Csv(files["transfer-consents.csv"].Text)[1][1]);
        Assert.Equal(["false"], Csv(files["positioning.csv"].Text)[1].Take(1));
        Assert.Single(Csv(files["disclosures.csv"].Text));
        Assert.Equal(
            [[mine.RecipientId, mine.RecipientName, "user.contact.email", "true"], [mine.RecipientId, mine.RecipientName, "", "false"]],
            Csv(files["identifying-authorizations.csv"].Text).Skip(1).Select(r => r[1..5]));
        Assert.Equal(
            [[mine.NoticeId.ToString(), mine.NoticeHash, "en", "true"], [mine.NoticeId.ToString(), "", "", "false"]],
            Csv(files["public-disclosure-consents.csv"].Text).Skip(1).Select(r => r[1..5]));
        var notifications = Csv(files["notifications.csv"].Text).Skip(1).ToList();
        Assert.Equal(["email", "in-app"], notifications.Select(n => n[2]).Order(StringComparer.Ordinal));
        Assert.All(notifications, n => Assert.Equal($"{mine.Heir} 现在负责处理您的个人信息", n[9]));
        Assert.Equal("zh-CN", Assert.Single(Csv(files["notification-language.csv"].Text).Skip(1))[0]);
        Assert.Contains(WebUtility.HtmlEncode(mine.RecipientName), files["index.html"].Text, StringComparison.Ordinal);
        Assert.Contains("<td>zh-CN</td>", files["index.html"].Text, StringComparison.Ordinal);
        Assert.Contains("您在 Konzen 的数据", files["index.html"].Text, StringComparison.Ordinal);
        Assert.Contains(WebUtility.HtmlEncode(mine.Email), files["index.html"].Text, StringComparison.Ordinal);
        foreach (var file in files.Values)
        {
            AssertNothingOf(other, file.Text);
        }
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    public async Task GetLocation_AnotherSubjectsPoint_NotFoundAndOwnPointFound(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel, ExportBed.Settings);
        var other = await ExportBed.SeedAsync(host, "other@example.com", "+8613900001111", 1, 2, Cancel);
        var mine = await ExportBed.SeedAsync(host, "mine@example.com", "+8613800002222", 2, 1, Cancel);
        var client = await ExportBed.SignInAsync(host, mine.Email, Cancel);

        using var theirs = await client.GetAsync($"/api/v1/me/data/locations/{other.PointId}", Cancel);
        using var unknown = await client.GetAsync($"/api/v1/me/data/locations/{Guid.NewGuid()}", Cancel);
        using var own = await client.GetAsync($"/api/v1/me/data/locations/{mine.PointId}", Cancel);

        Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        Assert.DoesNotContain(other.Latitude.ToString("R", CultureInfo.InvariantCulture), await theirs.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(mine.Latitude, (await own.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("latitude").GetDouble());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    public async Task Export_SignInOlderThanWindow_RequiresReauthenticationWhichThenPasses(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel, ExportBed.Settings);
        var (_, client) = await host.SignedInSubjectAsync("old@example.com", 1, Cancel);
        host.Time.Advance(TimeSpan.FromMinutes(11));
        var auditBefore = await AuditCountAsync(host);

        using var json = await client.GetAsync("/api/v1/me/data", Cancel);
        using var zip = await client.GetAsync("/api/v1/me/data.zip", Cancel);

        await AssertProblemAsync(json, HttpStatusCode.Forbidden, RecentAuthentication.ProblemType);
        await AssertProblemAsync(zip, HttpStatusCode.Forbidden, RecentAuthentication.ProblemType);
        Assert.Equal(auditBefore, await AuditCountAsync(host));

        using var wrong = await client.PostAsJsonAsync("/api/v1/me/reauthenticate", new { password = "not the password" }, Cancel);
        await AssertProblemAsync(wrong, HttpStatusCode.Unauthorized, "urn:konzen:problem:login-failed");
        using var renewed = await client.PostAsJsonAsync("/api/v1/me/reauthenticate", new { password = ExportBed.Password }, Cancel);
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        var token = (await renewed.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("accessToken").GetString();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);

        using var after = await client.GetAsync("/api/v1/me/data", Cancel);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Reauthenticate_CookieSessionPastWindow_NewCookieLetsTheExportThrough(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel, ExportBed.Settings);
        await host.SignedInSubjectAsync("cookie@example.com", 1, Cancel);
        var browser = host.Client();
        using var session = await browser.PostAsJsonAsync("/api/v1/sessions", new { email = "cookie@example.com", password = ExportBed.Password, mode = "cookie" }, Cancel);
        Assert.Equal(HttpStatusCode.OK, session.StatusCode);
        using var fresh = await browser.GetAsync("/api/v1/me/data", Cancel);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        host.Time.Advance(TimeSpan.FromMinutes(11));

        using var old = await browser.GetAsync("/api/v1/me/data", Cancel);
        using var renewed = await browser.PostAsJsonAsync("/api/v1/me/reauthenticate", new { password = ExportBed.Password }, Cancel);
        using var after = await browser.GetAsync("/api/v1/me/data", Cancel);

        await AssertProblemAsync(old, HttpStatusCode.Forbidden, RecentAuthentication.ProblemType);
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        Assert.Contains(renewed.Headers.GetValues("Set-Cookie"), c => c.StartsWith("konzen.session", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Reauthenticate_AfterTooManyWrongPasswords_LockedLikeSignIn(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel, ExportBed.Settings);
        var (_, client) = await host.SignedInSubjectAsync("locked@example.com", 1, Cancel);
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await client.PostAsJsonAsync("/api/v1/me/reauthenticate", new { password = "wrong" }, Cancel);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var right = await client.PostAsJsonAsync("/api/v1/me/reauthenticate", new { password = ExportBed.Password }, Cancel);
        using var signIn = await host.App.CreateClient().PostAsJsonAsync("/api/v1/sessions", new { email = "locked@example.com", password = ExportBed.Password, mode = "token" }, Cancel);

        await AssertProblemAsync(right, HttpStatusCode.Unauthorized, "urn:konzen:problem:login-failed");
        Assert.Equal(HttpStatusCode.Unauthorized, signIn.StatusCode);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    public async Task ExportJson_HundredThousandEvents_StreamsWithBoundedMemory(DatabaseProvider provider)
    {
        // KONZEN_TEST_EXPORT_EVENTS=1000000 measures the issue's million-event case by hand; the suite runs 100,000.
        var Events = int.TryParse(Environment.GetEnvironmentVariable("KONZEN_TEST_EXPORT_EVENTS"), CultureInfo.InvariantCulture, out var configured) ? configured : 100_000;
        await using var host = await SubjectsHost.StartAsync(provider, Cancel, ExportBed.Settings);
        var (id, _) = await host.SignedInSubjectAsync("large@example.com", 1, Cancel);
        var page = "https://konzen.example/domains/search?q=" + new string('k', 300);
        var seeding = System.Diagnostics.Stopwatch.StartNew();
        await ExportBed.EventsAsync(host, id, page, "search-button", Events, Cancel);
        seeding.Stop();
        var client = await ExportBed.SignInAsync(host, "large@example.com", Cancel);
        var json = await MeasureAsync(client, "/api/v1/me/data");
        var zip = await MeasureAsync(client, "/api/v1/me/data.zip");

        foreach (var (name, m) in new[] { ("json", json), ("zip", zip) })
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{provider} {name}: seeded {Events} events in {seeding.Elapsed.TotalSeconds:F1} s; exported {m.Bytes / 1e6:F1} MB in {m.Elapsed.TotalSeconds:F1} s; managed heap above baseline at most {m.Peak / 1e6:F1} MB; allocated {m.Allocated / 1e6:F0} MB; working set {Environment.WorkingSet / 1e6:F0} MB"));
        }

        Assert.Equal(Events, json.Events);

        // Holding the document (or its rows) would grow the heap by more than the body's size; streaming
        // grows it by the current chunk plus garbage not yet collected, well under half of it.
        Assert.True(json.Peak < json.Bytes / 2, $"managed heap grew by {json.Peak} bytes while streaming a body of {json.Bytes} bytes");

        // The zip compresses the repeated page to little, so its bound is the JSON's: its entries hold the document twice over.
        Assert.True(zip.Bytes > 0 && zip.Peak < json.Bytes / 2, $"managed heap grew by {zip.Peak} bytes while streaming the zip");
    }

    private static async Task<(long Bytes, long Peak, long Allocated, int Events, TimeSpan Elapsed)> MeasureAsync(HttpClient client, string url)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync(Cancel);
        var buffer = new byte[64 * 1024];
        long total = 0;
        long peak = 0;
        long sinceSample = 0;
        var events = 0;
        var marker = Encoding.UTF8.GetBytes("\"period\":");
        var matched = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, Cancel)) > 0)
        {
            total += read;
            sinceSample += read;
            events += Count(buffer.AsSpan(0, read), marker, ref matched);
            if (sinceSample >= 256 * 1024)
            {
                sinceSample = 0;
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false) - baseline);
            }
        }

        return (total, peak, GC.GetTotalAllocatedBytes() - allocatedBefore, events, clock.Elapsed);
    }

    [Theory]
    [InlineData("=1+2", "'=1+2")]
    [InlineData("+86138", "'+86138")]
    [InlineData("-3", "'-3")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("line\nbreak", "\"line\nbreak\"")]
    [InlineData("=\"x\",y", "\"'=\"\"x\"\",y\"")]
    [InlineData("plain", "plain")]
    [InlineData(null, "")]
    public void CsvText_FormulaOrSpecialCharacters_EscapedForSpreadsheets(string? value, string expected) =>
        Assert.Equal(expected, ExportZip.Text(value));

    private static void AssertNothingOf(SeededSubject other, string text)
    {
        foreach (var value in new[]
        {
            other.Id.ToString(), other.Id.ToString("N"), other.Email, other.Phone, other.Page, other.Target, other.TransferId, other.PointId.ToString(), other.Question,
            other.Latitude.ToString("R", CultureInfo.InvariantCulture), other.Longitude.ToString("R", CultureInfo.InvariantCulture),
            other.RecipientId, other.RecipientName, other.NoticeId.ToString(), other.NoticeHash, other.Heir,
        })
        {
            Assert.DoesNotContain(value, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    internal static (string Text, bool Bom) Read(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var bytes = copy.ToArray();
        var bom = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble);
        return (Encoding.UTF8.GetString(bom ? bytes[3..] : bytes), bom);
    }

    /// <summary>An RFC 4180 reader, strict enough to fail on a wrongly quoted cell.</summary>
    internal static List<string[]> Csv(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                Assert.Equal(0, cell.Length);
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(cell.ToString());
                cell.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(cell.ToString());
                cell.Clear();
                rows.Add([.. row]);
                row.Clear();
                i++;
            }
            else
            {
                cell.Append(c);
            }
        }

        Assert.False(quoted);
        Assert.Equal(0, cell.Length + row.Count);
        return rows;
    }

    /// <summary>Counts <paramref name="marker"/> across reads: <paramref name="matched"/> carries a partial match into the next buffer.</summary>
    private static int Count(ReadOnlySpan<byte> data, ReadOnlySpan<byte> marker, ref int matched)
    {
        var count = 0;
        foreach (var b in data)
        {
            matched = b == marker[matched] ? matched + 1 : b == marker[0] ? 1 : 0;
            if (matched == marker.Length)
            {
                count++;
                matched = 0;
            }
        }

        return count;
    }

    private static async Task<int> AuditCountAsync(SubjectsHost host)
    {
        await using var db = host.Store.NewDataContext();
        return db.Set<Konzen.Privacy.Audit.AuditEntry>().Count();
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(type, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("type").GetString());
    }
}
