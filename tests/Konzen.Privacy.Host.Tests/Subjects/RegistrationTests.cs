using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Host.Tests.Subjects;

/// <summary>Registration, verification and sign-in over HTTP, on both stores.</summary>
public sealed class RegistrationTests
{
    private const string Email = "Li.Wei@Example.com";
    private const string Phone = "138 0013 8000";
    private const string PhoneE164 = "+8613800138000";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [Trait("Clause", "S1.1")]
    [Trait("Clause", "S0.3")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Register_ByEmail_CodeArrivesByMailAndCookieAndTokenBothOpenMe(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var client = host.Client();
        var id = await host.RegisterAsync(client, host.Registration(email: Email), Cancel);
        var mail = (await host.Smtp.WaitForAsync(1, TimeSpan.FromSeconds(10)))[0];
        Assert.Equal("li.wei@example.com", mail.To.Mailboxes.Single().Address);

        using var verified = await SubjectsHost.VerifyAsync(client, id, "email", await host.EmailCodeAsync(1), Cancel);
        Assert.Equal(HttpStatusCode.Created, verified.StatusCode);

        using var cookie = await client.PostAsJsonAsync("/api/v1/sessions", new { email = Email, password = "correct horse battery", mode = "cookie" }, Cancel);
        Assert.Equal(HttpStatusCode.OK, cookie.StatusCode);
        Assert.Contains(cookie.Headers.GetValues("Set-Cookie"), c => c.StartsWith("konzen.session=", StringComparison.Ordinal) && c.Contains("httponly", StringComparison.OrdinalIgnoreCase));
        var me = await client.GetFromJsonAsync<JsonElement>("/api/v1/me", Cancel);
        Assert.Equal(id, me.GetProperty("subjectId").GetGuid());
        Assert.Equal("CN", me.GetProperty("region").GetString());
        Assert.Equal(host.PolicyHash, me.GetProperty("acceptedPolicyHash").GetString());
        Assert.Equal("li.wei@example.com", me.GetProperty("email").GetString());

        var app = host.App.CreateClient();
        using var token = await app.PostAsJsonAsync("/api/v1/sessions", new { email = Email, password = "correct horse battery", mode = "token" }, Cancel);
        var accessToken = (await token.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("accessToken").GetString();
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("/api/v1/me", Cancel)).StatusCode);
        app.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        Assert.Equal(id, (await app.GetFromJsonAsync<JsonElement>("/api/v1/me", Cancel)).GetProperty("subjectId").GetGuid());
    }

    [Theory]
    [Trait("Clause", "S1.1")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Register_ByPhone_CodeGoesToOutboxAndTokenSignInWorks(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var client = host.Client();
        var id = await host.RegisterAsync(client, host.Registration(phone: Phone), Cancel);

        using var verified = await SubjectsHost.VerifyAsync(client, id, "phone", await host.SmsCodeAsync(PhoneE164, Cancel), Cancel);
        Assert.Equal(HttpStatusCode.Created, verified.StatusCode);
        Assert.Empty(host.Smtp.Messages);

        using var token = await client.PostAsJsonAsync("/api/v1/sessions", new { phone = "+86 138-0013-8000", password = "correct horse battery", mode = "token" }, Cancel);
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        var bearer = (await token.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("accessToken").GetString();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", bearer) } };
        var me = await (await host.App.CreateClient().SendAsync(request, Cancel)).Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(id, me.GetProperty("subjectId").GetGuid());
        Assert.Equal(JsonValueKind.Null, me.GetProperty("email").ValueKind);
    }

    [Theory]
    [Trait("Clause", "S1.1")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Register_ByBoth_SubjectExistsOnlyOnceBothCodesAreEntered(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var client = host.Client();
        var id = await host.RegisterAsync(client, host.Registration(Email, Phone), Cancel);

        using var first = await SubjectsHost.VerifyAsync(client, id, "email", await host.EmailCodeAsync(1), Cancel);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("phone", (await first.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("remaining")[0].GetString());
        await using (var db = host.Store.NewDataContext())
        {
            Assert.Equal(0, await db.Subjects.CountAsync(Cancel));
        }

        using var second = await SubjectsHost.VerifyAsync(client, id, "phone", await host.SmsCodeAsync(PhoneE164, Cancel), Cancel);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        await using (var db = host.Store.NewDataContext())
        {
            var subject = await db.Subjects.SingleAsync(Cancel);
            Assert.Equal(host.PolicyHash, subject.AcceptedPolicyHash);
            Assert.NotNull(subject.EmailIndex);
            Assert.NotNull(subject.PhoneIndex);
            Assert.Equal(
                ["user.contact.email", "user.contact.phone_number", "user.demographic.date_of_birth"],
                await db.PersonalFields.Where(f => f.SubjectId == id).Select(f => f.Field).OrderBy(f => f).ToListAsync(Cancel));
        }

        foreach (var login in new object[] { new { email = Email, password = "correct horse battery", mode = "cookie" }, new { phone = Phone, password = "correct horse battery", mode = "cookie" } })
        {
            using var signedIn = await client.PostAsJsonAsync("/api/v1/sessions", login, Cancel);
            Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        }
    }

    [Theory]
    [Trait("Clause", "S1.1")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Register_RefusingEveryOptionalPurpose_RegistersAndSignsInWithNoConsentRecorded(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var client = host.Client();
        var id = await host.RegisterAsync(client, host.Registration(email: Email), Cancel);
        using var verified = await SubjectsHost.VerifyAsync(client, id, "email", await host.EmailCodeAsync(1), Cancel);
        Assert.Equal(HttpStatusCode.Created, verified.StatusCode);
        using var signedIn = await client.PostAsJsonAsync("/api/v1/sessions", new { email = Email, password = "correct horse battery", mode = "cookie" }, Cancel);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);

        await using var scope = host.App.Services.CreateAsyncScope();
        var ledger = scope.ServiceProvider.GetRequiredService<ConsentLedger>();
        Assert.Empty(await ledger.GetHistoryAsync(id, Cancel));
        Assert.Equal(ConsentSet.None, (await ledger.GetStateAsync(id, Cancel)).Consents);
    }

    [Theory]
    [Trait("Clause", "S1.2")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Register_BadInput_ProblemDetailsAndStoreUnchanged(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var client = host.Client();
        var before = await host.DumpAsync(Cancel);
        var cases = new (string Name, string Json, HttpStatusCode Status, string Type)[]
        {
            ("no address", $$"""{"password":"correct horse battery","birthDate":"1990-05-17","acceptedPolicyHash":"{{host.PolicyHash}}"}""", HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input"),
            ("malformed phone", $$"""{"phone":"12345","password":"correct horse battery","birthDate":"1990-05-17","acceptedPolicyHash":"{{host.PolicyHash}}"}""", HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input"),
            ("malformed email", $$"""{"email":"li.wei@@example","password":"correct horse battery","birthDate":"1990-05-17","acceptedPolicyHash":"{{host.PolicyHash}}"}""", HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input"),
            ("old policy", """{"email":"a@example.com","password":"correct horse battery","birthDate":"1990-05-17","acceptedPolicyHash":"0000"}""", HttpStatusCode.Conflict, "urn:konzen:problem:policy-outdated"),
            ("unknown field", $$"""{"email":"a@example.com","password":"correct horse battery","birthDate":"1990-05-17","acceptedPolicyHash":"{{host.PolicyHash}}","marketing":true}""", HttpStatusCode.BadRequest, "urn:konzen:problem:malformed-body"),
            ("unknown purpose field", $$"""{"email":"a@example.com","password":"correct horse battery","birthDate":"1990-05-17","acceptedPolicyHash":"{{host.PolicyHash}}","purposes":["marketing.unknown"]}""", HttpStatusCode.BadRequest, "urn:konzen:problem:malformed-body"),
            ("over 64 KiB", $$"""{"email":"a@example.com","password":"{{new string('x', 70_000)}}","birthDate":"1990-05-17","acceptedPolicyHash":"{{host.PolicyHash}}"}""", HttpStatusCode.RequestEntityTooLarge, "urn:konzen:problem:body-too-large"),
        };

        foreach (var (name, json, status, type) in cases)
        {
            using var response = await client.PostAsync("/api/v1/registrations", new StringContent(json, Encoding.UTF8, "application/json"), Cancel);
            Assert.True(status == response.StatusCode, $"{name}: {response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
            Assert.True(type == problem.GetProperty("type").GetString(), $"{name}: {problem}");
            Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()), name);
        }

        Assert.Equal(before, await host.DumpAsync(Cancel));
        Assert.Empty(host.Smtp.Messages);
    }

    [Theory]
    [Trait("Clause", "S1.2")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Verify_WrongCode_RefusedSpendsOneAttemptAndCreatesNothing(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var client = host.Client();
        var id = await host.RegisterAsync(client, host.Registration(email: Email), Cancel);
        var code = await host.EmailCodeAsync(1);
        var before = await host.DumpAsync(Cancel);

        using var response = await SubjectsHost.VerifyAsync(client, id, "email", Wrong(code), Cancel);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-code");
        var after = await host.DumpAsync(Cancel);
        foreach (var table in before.Keys.Where(t => !t.EndsWith(".verification_codes", StringComparison.Ordinal)))
        {
            Assert.Equal(before[table], after[table]);
        }

        await using var db = host.Store.NewDataContext();
        Assert.Equal(1, (await db.Set<Privacy.Subjects.VerificationCode>().SingleAsync(Cancel)).Attempts);
    }

    [Theory]
    [Trait("Clause", "S1.2")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Verify_MalformedChannelCodeOrId_ProblemAndStoreUnchanged(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var client = host.Client();
        var id = await host.RegisterAsync(client, host.Registration(email: Email), Cancel);
        var code = await host.EmailCodeAsync(1);
        var before = await host.DumpAsync(Cancel);

        using (var channel = await SubjectsHost.VerifyAsync(client, id, "fax", code, Cancel))
        {
            await AssertProblemAsync(channel, HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input");
        }

        using (var letters = await SubjectsHost.VerifyAsync(client, id, "email", "12ab56", Cancel))
        {
            await AssertProblemAsync(letters, HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-input");
        }

        using (var unknown = await SubjectsHost.VerifyAsync(client, Guid.NewGuid(), "email", code, Cancel))
        {
            await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "urn:konzen:problem:unknown-registration");
        }

        using (var absent = await SubjectsHost.VerifyAsync(client, id, "phone", code, Cancel))
        {
            await AssertProblemAsync(absent, HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-code");
        }

        Assert.Equal(before, await host.DumpAsync(Cancel));
    }

    [Theory]
    [Trait("Clause", "S1.2")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Verify_AfterTenMinutes_CodeExpiredAndStoreUnchanged(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var client = host.Client();
        var id = await host.RegisterAsync(client, host.Registration(email: Email), Cancel);
        var code = await host.EmailCodeAsync(1);
        host.Time.Advance(TimeSpan.FromMinutes(10));
        var before = await host.DumpAsync(Cancel);

        using var response = await SubjectsHost.VerifyAsync(client, id, "email", code, Cancel);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "urn:konzen:problem:code-expired");
        Assert.Equal(before, await host.DumpAsync(Cancel));
    }

    [Theory]
    [Trait("Clause", "S1.2")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Verify_CodeReplayedAfterUse_RefusedAndStoreUnchanged(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var client = host.Client();
        var id = await host.RegisterAsync(client, host.Registration(Email, Phone), Cancel);
        var code = await host.EmailCodeAsync(1);
        using var used = await SubjectsHost.VerifyAsync(client, id, "email", code, Cancel);
        Assert.Equal(HttpStatusCode.OK, used.StatusCode);
        var pending = await host.DumpAsync(Cancel);

        using var replayed = await SubjectsHost.VerifyAsync(client, id, "email", code, Cancel);
        await AssertProblemAsync(replayed, HttpStatusCode.BadRequest, "urn:konzen:problem:invalid-code");
        Assert.Equal(pending, await host.DumpAsync(Cancel));

        using var completed = await SubjectsHost.VerifyAsync(client, id, "phone", await host.SmsCodeAsync(PhoneE164, Cancel), Cancel);
        Assert.Equal(HttpStatusCode.Created, completed.StatusCode);
        var done = await host.DumpAsync(Cancel);
        using var again = await SubjectsHost.VerifyAsync(client, id, "email", code, Cancel);
        await AssertProblemAsync(again, HttpStatusCode.NotFound, "urn:konzen:problem:unknown-registration");
        Assert.Equal(done, await host.DumpAsync(Cancel));
    }

    [Theory]
    [Trait("Clause", "S1.2")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Verify_SixthAttempt_RefusedEvenWithTheRightCode(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var client = host.Client();
        var id = await host.RegisterAsync(client, host.Registration(email: Email), Cancel);
        var code = await host.EmailCodeAsync(1);
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            using var wrong = await SubjectsHost.VerifyAsync(client, id, "email", Wrong(code), Cancel);
            await AssertProblemAsync(wrong, HttpStatusCode.BadRequest, attempt < 5 ? "urn:konzen:problem:invalid-code" : "urn:konzen:problem:too-many-attempts");
        }

        var before = await host.DumpAsync(Cancel);
        using var sixth = await SubjectsHost.VerifyAsync(client, id, "email", code, Cancel);
        await AssertProblemAsync(sixth, HttpStatusCode.BadRequest, "urn:konzen:problem:too-many-attempts");
        Assert.Equal(before, await host.DumpAsync(Cancel));
        await using var db = host.Store.NewDataContext();
        Assert.Equal(0, await db.Subjects.CountAsync(Cancel));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Register_AddressWithAccount_SameAnswerAndCodeGoesToOwner(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var client = host.Client();
        var owner = await host.RegisterAsync(client, host.Registration(email: Email), Cancel);
        using var created = await SubjectsHost.VerifyAsync(client, owner, "email", await host.EmailCodeAsync(1), Cancel);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var fresh = await client.PostAsJsonAsync("/api/v1/registrations", host.Registration(email: "someone.new@example.com"), Cancel);
        using var taken = await client.PostAsJsonAsync("/api/v1/registrations", host.Registration(email: Email, password: "another password"), Cancel);
        var takenBody = await taken.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(fresh.StatusCode, taken.StatusCode);
        Assert.Equal(Shape(await fresh.Content.ReadFromJsonAsync<JsonElement>(Cancel)), Shape(takenBody));
        Assert.Equal(fresh.Content.Headers.ContentType?.ToString(), taken.Content.Headers.ContentType?.ToString());

        var messages = await host.Smtp.WaitForAsync(3, TimeSpan.FromSeconds(10));
        Assert.Equal("li.wei@example.com", messages[2].To.Mailboxes.Single().Address);
        Assert.Equal(messages[1].Subject, messages[2].Subject);

        // Only the owner, who holds the code, learns that the address is taken; the account is untouched.
        var takenId = takenBody.GetProperty("registrationId").GetGuid();
        using var verify = await SubjectsHost.VerifyAsync(client, takenId, "email", await host.EmailCodeAsync(3), Cancel);
        await AssertProblemAsync(verify, HttpStatusCode.Conflict, "urn:konzen:problem:already-registered");
        using var signIn = await client.PostAsJsonAsync("/api/v1/sessions", new { email = Email, password = "correct horse battery", mode = "cookie" }, Cancel);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
    }

    [Theory]
    [Trait("Clause", "S3.1")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task SignIn_FiveWrongPasswords_LocksForFifteenMinutes(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var client = host.Client();
        var id = await host.RegisterAsync(client, host.Registration(email: Email), Cancel);
        using var created = await SubjectsHost.VerifyAsync(client, id, "email", await host.EmailCodeAsync(1), Cancel);
        var right = new { email = Email, password = "correct horse battery", mode = "token" };
        var wrong = new { email = Email, password = "wrong horse battery", mode = "token" };

        for (var i = 0; i < 5; i++)
        {
            using var failed = await client.PostAsJsonAsync("/api/v1/sessions", wrong, Cancel);
            await AssertProblemAsync(failed, HttpStatusCode.Unauthorized, "urn:konzen:problem:login-failed");
        }

        using (var locked = await client.PostAsJsonAsync("/api/v1/sessions", right, Cancel))
        {
            await AssertProblemAsync(locked, HttpStatusCode.Unauthorized, "urn:konzen:problem:login-failed");
        }

        host.Time.Advance(TimeSpan.FromMinutes(14));
        using (var stillLocked = await client.PostAsJsonAsync("/api/v1/sessions", right, Cancel))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, stillLocked.StatusCode);
        }

        host.Time.Advance(TimeSpan.FromMinutes(1));
        using var unlocked = await client.PostAsJsonAsync("/api/v1/sessions", right, Cancel);
        Assert.Equal(HttpStatusCode.OK, unlocked.StatusCode);
    }

    [Fact]
    [Trait("Clause", "S3.1")]
    public async Task SignIn_UnknownAddress_SameAnswerAsWrongPassword()
    {
        await using var host = await SubjectsHost.StartAsync(DatabaseProvider.Sqlite, Cancel);
        var client = host.Client();
        var id = await host.RegisterAsync(client, host.Registration(email: Email), Cancel);
        using var created = await SubjectsHost.VerifyAsync(client, id, "email", await host.EmailCodeAsync(1), Cancel);

        using var unknown = await client.PostAsJsonAsync("/api/v1/sessions", new { email = "nobody@example.com", password = "correct horse battery", mode = "cookie" }, Cancel);
        using var wrong = await client.PostAsJsonAsync("/api/v1/sessions", new { email = Email, password = "wrong horse battery", mode = "cookie" }, Cancel);
        Assert.Equal(wrong.StatusCode, unknown.StatusCode);
        Assert.Equal(Problem(await wrong.Content.ReadFromJsonAsync<JsonElement>(Cancel)), Problem(await unknown.Content.ReadFromJsonAsync<JsonElement>(Cancel)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task SmsOutbox_ReadByAdministratorVerb_ShowsNumberAndCodeAndIsAudited(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        await host.RegisterAsync(host.Client(), host.Registration(phone: Phone), Cancel);
        var code = await host.SmsCodeAsync(PhoneE164, Cancel);

        var (exit, output, error) = await Cli.RunAsync(
            "sms", "outbox",
            $"--Storage:Database={host.Store.DatabaseConnectionString}",
            $"--Storage:KeyStore={host.Store.KeyStoreConnectionString}",
            $"--Subjects:KeyFile={host.SubjectsKeyFile}",
            $"--Storage:DataDirectory={Path.GetDirectoryName(host.SubjectsKeyFile)}");
        Assert.True(exit == 0, error);
        Assert.Contains(PhoneE164, output, StringComparison.Ordinal);
        Assert.Contains(code, output, StringComparison.Ordinal);
        await using var db = host.Store.NewDataContext();
        Assert.True(await db.AuditEntries.AnyAsync(e => e.Action == "sms-outbox.read", Cancel));
    }

    internal static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(status == response.StatusCode, $"{response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(type, JsonDocument.Parse(body).RootElement.GetProperty("type").GetString());
    }

    private static string Wrong(string code) => ((int.Parse(code, System.Globalization.CultureInfo.InvariantCulture) + 1) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    // Everything but the trace id, which differs per request by design.
    private static string Problem(JsonElement json) => string.Join('|', json.EnumerateObject().Where(p => p.Name != "traceId").Select(p => $"{p.Name}={p.Value}"));

    private static string Shape(JsonElement json) => string.Join(',', json.EnumerateObject().Select(p => $"{p.Name}:{p.Value.ValueKind}"));
}
