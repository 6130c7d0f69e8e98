using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Host.Tests.Subjects;

/// <summary>
/// Minors and guardians over HTTP on both stores (S8.1), on the host's fake clock: what a minor can and
/// cannot turn on, the guardian's own flow, and the birthdays at 14 and 18.
/// </summary>
public sealed class GuardianApiTests
{
    private const string Ads = "marketing.advertising.profiling";
    private const string Analytics = "analytics.reporting";
    private const string Password = "correct horse battery";

    private static readonly string[] Excluded = [Ads, "functional.location", "functional.service.surveys"];

    private static readonly Dictionary<string, string> QuietJobs = new(StringComparer.Ordinal)
    {
        ["Retention:Enabled"] = "false",
        ["Requests:EscalationEnabled"] = "false",
    };

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S8.1")]
    public async Task PersonalizedAds_ForAMinor_RefusedOnEveryPath(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (minorId, minor) = await SignedInAsync(host, "teen@example.com", Born(host, years: 16), mailNumber: 1);
        var guardian = await VerifiedGuardianAsync(host, minor, minorId, "parent@example.com", mailNumber: 2);

        // Not offered: the minor's own list leaves out what the policy excludes for minors; the guardian's marks it.
        var offered = await ListAsync(minor, "/api/v1/me/consents");
        Assert.DoesNotContain(offered, p => Excluded.Contains(p.GetProperty("purpose").GetString()));
        Assert.Contains(offered, p => p.GetProperty("purpose").GetString() == Analytics);
        var guardianView = await ListAsync(guardian, "/api/v1/guardian/consents");
        Assert.All(guardianView.Where(p => Excluded.Contains(p.GetProperty("purpose").GetString())), p => Assert.False(p.GetProperty("offered").GetBoolean()));

        // Refused whoever asks: the minor, and the verified guardian.
        await AssertProblemAsync(await PutConsentAsync(minor, "/api/v1/me/consents", Ads, true), HttpStatusCode.Forbidden, "urn:konzen:problem:minor-restricted");
        await AssertProblemAsync(await PutConsentAsync(guardian, "/api/v1/guardian/consents", Ads, true), HttpStatusCode.Forbidden, "urn:konzen:problem:minor-restricted");
        Assert.Empty(await EventsAsync(host, minorId, Ads));

        // Even with a grant on record (written past the ledger, as a legacy row or a bug might), the gate says no.
        await ForceGrantAsync(host, minorId, Ads);
        Assert.Equal("""{"mode":"generic"}""", await AdDecisionAsync(minor));
        var decision = await DecisionAsync(minor, Ads, "user.behavior.browsing_history");
        Assert.Equal((false, nameof(DecisionReason.MinorRestricted), "S8.1"), decision);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S8.1")]
    public async Task ChildOptionalProcessing_BeforeTheGuardian_WaitsThenFollowsTheGuardiansChoice(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (childId, child) = await SignedInAsync(host, "kid@example.com", Born(host, years: 12), mailNumber: 1);

        // Before verified guardian consent: nothing beyond the account itself. The service's own use of the
        // child's data waits, optional purposes are denied, the child cannot grant them, and events are dropped.
        Assert.Equal((false, nameof(DecisionReason.GuardianConsentRequired), "S8.1"), await DecisionAsync(child, "essential.service", "user.contact.email"));
        Assert.Equal((false, nameof(DecisionReason.GuardianConsentRequired), "S8.1"), await DecisionAsync(child, Analytics, "user.behavior.clicks"));
        await AssertProblemAsync(await PutConsentAsync(child, "/api/v1/me/consents", Analytics, true), HttpStatusCode.Forbidden, "urn:konzen:problem:guardian-consent-required");
        var before = await PostEventsAsync(child, host, "analytics", "advertising", "personalization");
        Assert.Equal((3, 0), (before.GetProperty("received").GetInt32(), before.GetProperty("stored").GetInt32()));
        Assert.Equal(0, await StoredEventsAsync(host));

        var guardian = await VerifiedGuardianAsync(host, child, childId, "parent@example.com", mailNumber: 2);
        var invitation = host.Smtp.Messages[1];
        Assert.Equal("Konzen: confirm that you are the guardian of a young account holder", invitation.Subject);
        Assert.Contains("named you as their parent or guardian", invitation.TextBody, StringComparison.Ordinal);
        Assert.Equal((true, nameof(DecisionReason.Necessary)), Two(await DecisionAsync(child, "essential.service", "user.contact.email")));
        Assert.Equal((false, nameof(DecisionReason.NotConsented)), Two(await DecisionAsync(child, Analytics, "user.behavior.clicks")));

        using (var granted = await PutConsentAsync(guardian, "/api/v1/guardian/consents", Analytics, true))
        {
            Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        }

        Assert.Equal((true, nameof(DecisionReason.Consented)), Two(await DecisionAsync(child, Analytics, "user.behavior.clicks")));
        var after = await PostEventsAsync(child, host, "analytics");
        Assert.Equal(1, after.GetProperty("stored").GetInt32());
        var history = await EventsAsync(host, childId, Analytics);
        Assert.Equal(ConsentMethod.Guardian, Assert.Single(history).Method);

        // The child is told, in-app, that the guardian changed a consent.
        using var notices = await child.GetAsync("/api/v1/me/notifications", Cancel);
        var notice = Assert.Single((await notices.Content.ReadFromJsonAsync<JsonElement>(Cancel)).EnumerateArray());
        Assert.Equal("guardian-consent", notice.GetProperty("template").GetString());
        Assert.Contains(Analytics, notice.GetProperty("body").GetString(), StringComparison.Ordinal);

        // The guardian's address is in no log line.
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains("parent@example.com", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S8.1")]
    public async Task GuardianWithdrawal_AfterAGrant_DeniesAtTheNextDecision(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (minorId, minor) = await SignedInAsync(host, "teen@example.com", Born(host, years: 15), mailNumber: 1);
        var guardian = await VerifiedGuardianAsync(host, minor, minorId, "+8613800138000", mailNumber: null);
        (await PutConsentAsync(guardian, "/api/v1/guardian/consents", Analytics, true)).Dispose();
        Assert.Equal((true, nameof(DecisionReason.Consented)), Two(await DecisionAsync(minor, Analytics, "user.behavior.clicks")));

        using var withdrawn = await PutConsentAsync(guardian, "/api/v1/guardian/consents", Analytics, false);

        Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        Assert.Equal((false, nameof(DecisionReason.NotConsented)), Two(await DecisionAsync(minor, Analytics, "user.behavior.clicks")));
        var listed = await ListAsync(guardian, "/api/v1/guardian/consents");
        Assert.False(listed.Single(p => p.GetProperty("purpose").GetString() == Analytics).GetProperty("granted").GetBoolean());
        Assert.Equal([true, false], (await EventsAsync(host, minorId, Analytics)).Select(e => e.Granted));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S8.1")]
    public async Task Birthdays_At14And18_ChangeTheRulesByTheClockAndGuardianConsentsLapseAt18(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);

        // Born 14 years ago tomorrow (UTC): a child today, and 18 four years from tomorrow.
        var born = Born(host, years: 14).AddDays(1);
        var (subjectId, client) = await SignedInAsync(host, "kid@example.com", born, mailNumber: 1);
        Assert.Equal(nameof(DecisionReason.GuardianConsentRequired), Two(await DecisionAsync(client, "essential.service", "user.contact.email")).Item2);

        // Sessions expire by the same clock: the subject signs in again after each jump.
        host.Time.SetUtcNow(Midnight(born.AddYears(14)));
        client = await SignInAsync(host, "kid@example.com");
        Assert.True((await DecisionAsync(client, "essential.service", "user.contact.email")).Item1);
        Assert.Equal(nameof(DecisionReason.GuardianConsentRequired), Two(await DecisionAsync(client, Analytics, "user.behavior.clicks")).Item2);

        var guardian = await VerifiedGuardianAsync(host, client, subjectId, "parent@example.com", mailNumber: 2);
        (await PutConsentAsync(guardian, "/api/v1/guardian/consents", Analytics, true)).Dispose();
        Assert.True((await DecisionAsync(client, Analytics, "user.behavior.clicks")).Item1);

        host.Time.SetUtcNow(Midnight(born.AddYears(18)).AddTicks(-1));
        client = await SignInAsync(host, "kid@example.com");
        Assert.True((await DecisionAsync(client, Analytics, "user.behavior.clicks")).Item1);
        Assert.Equal(nameof(DecisionReason.MinorRestricted), Two(await DecisionAsync(client, Ads, "user.behavior.browsing_history")).Item2);

        // The 18th birthday: the restrictions lift, the guardian's consent lapses, the guardian's token opens nothing.
        host.Time.SetUtcNow(Midnight(born.AddYears(18)));
        client = await SignInAsync(host, "kid@example.com");
        Assert.Equal((false, nameof(DecisionReason.NotConsented)), Two(await DecisionAsync(client, Analytics, "user.behavior.clicks")));
        Assert.Equal((false, nameof(DecisionReason.NotConsented)), Two(await DecisionAsync(client, Ads, "user.behavior.browsing_history")));
        Assert.Contains(await ListAsync(client, "/api/v1/me/consents"), p => p.GetProperty("purpose").GetString() == Ads);
        using (var gone = await guardian.GetAsync("/api/v1/guardian/consents", Cancel))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, gone.StatusCode);
        }

        // The adult chooses: their own grant counts.
        using (var own = await PutConsentAsync(client, "/api/v1/me/consents", Ads, true))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        Assert.Equal((true, nameof(DecisionReason.Consented)), Two(await DecisionAsync(client, Ads, "user.behavior.browsing_history")));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S8.1")]
    public async Task GuardianVerification_BadCodeWrongGuardianOrExpiredCode_ChangesNothing(DatabaseProvider provider)
    {
        // The clock moves a day on below: the retention sweep and request escalation would then run and
        // write their own audit entries while the store is compared, so they are off here.
        await using var host = await SubjectsHost.StartAsync(provider, Cancel, QuietJobs);
        var (minorId, minor) = await SignedInAsync(host, "teen@example.com", Born(host, years: 16), mailNumber: 1);
        var (otherId, other) = await SignedInAsync(host, "other@example.com", Born(host, years: 16), mailNumber: 2);
        var otherGuardian = await VerifiedGuardianAsync(host, other, otherId, "other-parent@example.com", mailNumber: 3);
        using (var named = await minor.PutAsJsonAsync("/api/v1/me/guardian", new { email = "parent@example.com" }, Cancel))
        {
            Assert.Equal(HttpStatusCode.Accepted, named.StatusCode);
        }

        var code = await host.EmailCodeAsync(4);
        var wrong = code == "000000" ? "000001" : "000000";
        var anonymous = host.Client();
        var before = await host.DumpAsync(Cancel);

        // Malformed code, missing id, a code for an account that is not a minor's.
        await AssertProblemAsync(await anonymous.PostAsJsonAsync("/api/v1/guardian/verify", new { minorId, code = "12ab" }, Cancel), HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input");
        await AssertProblemAsync(await anonymous.PostAsJsonAsync("/api/v1/guardian/verify", new { code }, Cancel), HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input");
        await AssertProblemAsync(await anonymous.PostAsJsonAsync("/api/v1/guardian/verify", new { minorId = Guid.NewGuid(), code }, Cancel), HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-code");

        // The wrong guardian: another minor's guardian, its token re-pointed at this minor, and the minor's own session.
        var forged = $"{minorId:N}.{otherGuardian.DefaultRequestHeaders.Authorization!.Parameter!.Split('.')[1]}";
        using var forger = host.Client();
        forger.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", forged);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PutConsentAsync(forger, "/api/v1/guardian/consents", Analytics, true)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PutConsentAsync(minor, "/api/v1/guardian/consents", Analytics, true)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/guardian/consents", Cancel)).StatusCode);
        Assert.Equal(before, await host.DumpAsync(Cancel));

        // A wrong code spends one attempt (a six-digit code must not be guessable) and changes nothing else.
        await AssertProblemAsync(await anonymous.PostAsJsonAsync("/api/v1/guardian/verify", new { minorId, code = wrong }, Cancel), HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-code");
        var afterWrong = await host.DumpAsync(Cancel);
        Assert.Equal(Without(before, "minor_accounts"), Without(afterWrong, "minor_accounts"));
        Assert.Equal(1, await AttemptsAsync(host, minorId));

        // The right code, too late: refused, nothing changes, the guardian is not verified.
        host.Time.Advance(TimeSpan.FromHours(24));
        await AssertProblemAsync(await anonymous.PostAsJsonAsync("/api/v1/guardian/verify", new { minorId, code }, Cancel), HttpStatusCode.BadRequest, "urn:konzen:problem:code-expired");
        Assert.Equal(afterWrong, await host.DumpAsync(Cancel));
        using var status = await (await SignInAsync(host, "teen@example.com")).GetAsync("/api/v1/me/guardian", Cancel);
        Assert.False((await status.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("verified").GetBoolean());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S8.1")]
    public async Task GuardianMessage_InChinese_CarriesTheCodeAndNoAddressIsStoredInTheClear(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (minorId, minor) = await SignedInAsync(host, "teen@example.com", Born(host, years: 16), mailNumber: 1);

        using (var named = await minor.PutAsJsonAsync("/api/v1/me/guardian", new { email = "Parent@Example.com", language = "zh-CN" }, Cancel))
        {
            Assert.Equal(HttpStatusCode.Accepted, named.StatusCode);
        }

        var message = (await host.Smtp.WaitForAsync(2, TimeSpan.FromSeconds(10)))[1];
        Assert.Equal("parent@example.com", message.To.Mailboxes.Single().Address);
        Assert.Equal("Konzen：确认您是一名未成年账户持有人的监护人", message.Subject);
        Assert.Contains("您的验证码是", message.TextBody, StringComparison.Ordinal);
        Assert.Contains($"/guardian?lang=zh-CN#minor={minorId:N}&code={SubjectsHost.CodeIn(message.TextBody!)}", message.TextBody, StringComparison.Ordinal);
        var dump = string.Join('\n', (await host.DumpAsync(Cancel)).SelectMany(t => t.Value));
        Assert.DoesNotContain("parent@example.com", dump, StringComparison.OrdinalIgnoreCase);

        // An adult has no guardian to name.
        var (_, adult) = await host.SignedInSubjectAsync("adult@example.com", 3, Cancel);
        await AssertProblemAsync(await adult.PutAsJsonAsync("/api/v1/me/guardian", new { email = "someone@example.com" }, Cancel), HttpStatusCode.Conflict, "urn:konzen:problem:not-a-minor");
    }

    private static DateOnly Born(SubjectsHost host, int years) => DateOnly.FromDateTime(host.Time.GetUtcNow().UtcDateTime).AddYears(-years);

    private static DateTimeOffset Midnight(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static (bool, string) Two((bool Allowed, string Reason, string Clause) decision) => (decision.Allowed, decision.Reason);

    /// <summary>Registers with <paramref name="birthDate"/>, verifies the email (the <paramref name="mailNumber"/>-th mail) and signs in with a bearer token.</summary>
    private static async Task<(Guid Id, HttpClient Client)> SignedInAsync(SubjectsHost host, string email, DateOnly birthDate, int mailNumber)
    {
        var client = host.Client();
        var id = await host.RegisterAsync(client, new { email, password = Password, birthDate, acceptedPolicyHash = host.PolicyHash }, Cancel);
        using var verified = await SubjectsHost.VerifyAsync(client, id, "email", await host.EmailCodeAsync(mailNumber), Cancel);
        Assert.Equal(HttpStatusCode.Created, verified.StatusCode);
        return (id, await SignInAsync(host, email));
    }

    private static async Task<HttpClient> SignInAsync(SubjectsHost host, string email)
    {
        var session = host.Client();
        using var token = await session.PostAsJsonAsync("/api/v1/sessions", new { email, password = Password, mode = "token" }, Cancel);
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        var accessToken = (await token.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("accessToken").GetString();
        session.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return session;
    }

    /// <summary>
    /// The minor names <paramref name="address"/> (an email, whose message is the <paramref name="mailNumber"/>-th mail,
    /// or a phone number, whose code waits in the SMS outbox); the guardian verifies and gets a client with its own token.
    /// </summary>
    private static async Task<HttpClient> VerifiedGuardianAsync(SubjectsHost host, HttpClient minor, Guid minorId, string address, int? mailNumber)
    {
        var email = mailNumber is not null;
        using (var named = await minor.PutAsJsonAsync("/api/v1/me/guardian", email ? new { email = address } : (object)new { phone = address }, Cancel))
        {
            Assert.Equal(HttpStatusCode.Accepted, named.StatusCode);
        }

        var code = email ? await host.EmailCodeAsync(mailNumber!.Value) : await host.SmsCodeAsync(address, Cancel);
        var guardian = host.Client();
        using var verified = await guardian.PostAsJsonAsync("/api/v1/guardian/verify", new { minorId, code }, Cancel);
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        var token = (await verified.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("token").GetString();
        guardian.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return guardian;
    }

    private static Task<HttpResponseMessage> PutConsentAsync(HttpClient client, string prefix, string purpose, bool granted) =>
        client.PutAsJsonAsync($"{prefix}/{purpose}", new { granted }, Cancel);

    private static async Task<List<JsonElement>> ListAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).EnumerateArray()];
    }

    private static async Task<(bool Allowed, string Reason, string Clause)> DecisionAsync(HttpClient client, string purpose, string category)
    {
        using var response = await client.GetAsync($"/api/v1/me/decisions?purpose={purpose}&category={category}", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        return (json.GetProperty("allowed").GetBoolean(), json.GetProperty("reason").GetString()!, json.GetProperty("clause").GetString()!);
    }

    private static async Task<string> AdDecisionAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/api/v1/ads/decision", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Cancel);
    }

    private static async Task<JsonElement> PostEventsAsync(HttpClient client, SubjectsHost host, params string[] purposes)
    {
        var body = new
        {
            events = purposes.Select((purpose, i) => new { type = "click", purpose, at = host.Time.GetUtcNow(), page = $"/domains/{i}", target = "result-1" }),
        };
        using var response = await client.PostAsJsonAsync("/api/v1/events", body, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
    }

    private static async Task<int> StoredEventsAsync(SubjectsHost host)
    {
        await using var db = host.Store.NewDataContext();
        return await db.Set<Privacy.Collection.LogEvent>().CountAsync(Cancel);
    }

    private static async Task<List<ConsentEvent>> EventsAsync(SubjectsHost host, Guid subjectId, string purpose)
    {
        await using var db = host.Store.NewDataContext();
        return await db.Set<ConsentEvent>().AsNoTracking().Where(e => e.SubjectId == subjectId && e.PurposeKey == purpose).OrderBy(e => e.Id).ToListAsync(Cancel);
    }

    private static async Task<int> AttemptsAsync(SubjectsHost host, Guid minorId)
    {
        await using var db = host.Store.NewDataContext();
        return (await db.Set<MinorAccount>().AsNoTracking().SingleAsync(a => a.SubjectId == minorId, Cancel)).CodeAttempts;
    }

    /// <summary>A grant written straight into the ledger table, bypassing every check the ledger makes.</summary>
    private static async Task ForceGrantAsync(SubjectsHost host, Guid subjectId, string purpose)
    {
        await using var db = host.Store.NewDataContext();
        var at = host.Time.GetUtcNow();
        db.Set<ConsentEvent>().Add(new ConsentEvent
        {
            SubjectId = subjectId,
            PurposeKey = purpose,
            Granted = true,
            PolicyHash = host.PolicyHash,
            Method = ConsentMethod.Api,
            At = new DateTimeOffset(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero),
            ReceiptId = Guid.CreateVersion7(),
            Receipt = "forced",
        });
        await db.SaveChangesAsync(Cancel);
    }

    private static Dictionary<string, IReadOnlyList<string>> Without(IReadOnlyDictionary<string, IReadOnlyList<string>> dump, string table) =>
        dump.Where(t => !t.Key.EndsWith($".{table}", StringComparison.Ordinal)).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        using (response)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(type, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("type").GetString());
        }
    }
}
