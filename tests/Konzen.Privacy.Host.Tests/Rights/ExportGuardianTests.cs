using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Host.Tests.Rights;

/// <summary>
/// The export's <c>guardian</c> section (S6.1 for S8.1), over HTTP on the host's fake clock: a minor's own export
/// shows the account as a minor's, the guardian's address opened with the minor's key, the verification and the
/// guardian's consents; nobody else's export shows any of it, and an adult who never was a minor gets null.
/// </summary>
public sealed class ExportGuardianTests
{
    private const string Analytics = "analytics.reporting";
    private const string ParentEmail = "parent-of-teen@example.com";
    private const string OtherParentPhone = "+8613800138000";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    [Trait("Clause", "S8.1")]
    public async Task ExportJson_MinorWithVerifiedGuardianWhoConsented_ShowsTheGuardianSectionAndNoOneElseDoes(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel, ExportBed.Settings);
        var registeredAt = host.Time.GetUtcNow();
        var (minorId, minor) = await SignedInAsync(host, "teen@example.com", Born(host, years: 16), mailNumber: 1);
        var guardian = await NameAndVerifyAsync(host, minor, minorId, mailNumber: 2);
        var verifiedAt = host.Time.GetUtcNow();
        host.Time.Advance(TimeSpan.FromMinutes(1));
        await GuardianConsentAsync(guardian, Analytics, granted: true);

        // Another minor whose guardian (by phone) is named but not verified, and an adult.
        var (otherMinorId, otherMinor) = await SignedInAsync(host, "other-teen@example.com", Born(host, years: 12), mailNumber: 3);
        using (var named = await otherMinor.PutAsJsonAsync("/api/v1/me/guardian", new { phone = OtherParentPhone }, Cancel))
        {
            Assert.Equal(HttpStatusCode.Accepted, named.StatusCode);
        }

        var (_, adult) = await host.SignedInSubjectAsync("adult@example.com", 4, Cancel);

        var (text, root) = await ExportAsync(minor);

        var section = root.GetProperty("guardian");
        Assert.Equal(
            (true, false, ParentEmail, "email", true),
            (section.GetProperty("minor").GetBoolean(), section.GetProperty("child").GetBoolean(), section.GetProperty("address").GetString(),
                section.GetProperty("channel").GetString(), section.GetProperty("verified").GetBoolean()));
        Assert.Equal(registeredAt, section.GetProperty("markedAt").GetDateTimeOffset(), TimeSpan.FromSeconds(1));
        Assert.Equal(verifiedAt, section.GetProperty("verifiedAt").GetDateTimeOffset(), TimeSpan.FromSeconds(1));
        var given = Assert.Single(section.GetProperty("consents").EnumerateArray());
        Assert.Equal((Analytics, true), (given.GetProperty("purpose").GetString(), given.GetProperty("granted").GetBoolean()));

        // The same event in the consent history, marked as the guardian's.
        var history = root.GetProperty("consents").EnumerateArray().Single(c => c.GetProperty("id").GetInt64() == given.GetProperty("id").GetInt64());
        Assert.Equal(("guardian", Analytics, given.GetProperty("receiptId").GetGuid()), (history.GetProperty("method").GetString(), history.GetProperty("purpose").GetString(), history.GetProperty("receiptId").GetGuid()));

        // No secret of the flow: the section holds only the schema's fields (below), and the stored token hash is nowhere.
        var tokenHash = await TokenHashAsync(host, minorId);
        Assert.DoesNotContain(Convert.ToBase64String(tokenHash), text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(tokenHash), text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(OtherParentPhone, text, StringComparison.Ordinal);
        Assert.DoesNotContain(otherMinorId.ToString(), text, StringComparison.OrdinalIgnoreCase);

        // The published schema: the document's sections and the guardian section's fields are exactly the ones it names.
        var schema = await minor.GetFromJsonAsync<JsonElement>(root.GetProperty("$schema").GetString(), Cancel);
        AssertMatches(schema, root);
        var guardianSchema = schema.GetProperty("properties").GetProperty("guardian");
        AssertMatches(guardianSchema, section);
        AssertMatches(guardianSchema.GetProperty("properties").GetProperty("consents").GetProperty("items"), given);

        // The other minor's own export: its guardian, unverified, with no consents, and nothing of the first.
        var (otherText, otherRoot) = await ExportAsync(otherMinor);
        var otherSection = otherRoot.GetProperty("guardian");
        Assert.Equal(
            (true, true, OtherParentPhone, "phone", false, JsonValueKind.Null, 0),
            (otherSection.GetProperty("minor").GetBoolean(), otherSection.GetProperty("child").GetBoolean(), otherSection.GetProperty("address").GetString(),
                otherSection.GetProperty("channel").GetString(), otherSection.GetProperty("verified").GetBoolean(), otherSection.GetProperty("verifiedAt").ValueKind,
                otherSection.GetProperty("consents").GetArrayLength()));
        AssertMatches(guardianSchema, otherSection);
        Assert.DoesNotContain(ParentEmail, otherText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(minorId.ToString(), otherText, StringComparison.OrdinalIgnoreCase);

        // An adult who never was a minor: the section is present and null, as the schema allows.
        var (adultText, adultRoot) = await ExportAsync(adult);
        Assert.Equal(JsonValueKind.Null, adultRoot.GetProperty("guardian").ValueKind);
        AssertMatches(schema, adultRoot);
        Assert.Contains("null", guardianSchema.GetProperty("type").EnumerateArray().Select(t => t.GetString()));
        Assert.DoesNotContain(ParentEmail, adultText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(OtherParentPhone, adultText, StringComparison.Ordinal);
        Assert.DoesNotContain("\"method\":\"guardian\"", adultText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    [Trait("Clause", "S8.1")]
    public async Task ExportZip_MinorWithVerifiedGuardianWhoConsented_HasGuardianCsvAndMarksTheConsentOnThePage(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel, ExportBed.Settings);
        var (minorId, minor) = await SignedInAsync(host, "teen@example.com", Born(host, years: 16), mailNumber: 1);
        var guardian = await NameAndVerifyAsync(host, minor, minorId, mailNumber: 2);
        await GuardianConsentAsync(guardian, Analytics, granted: true);
        var (_, adult) = await host.SignedInSubjectAsync("adult@example.com", 3, Cancel);

        var files = await ZipAsync(minor);

        var row = Assert.Single(ExportApiTests.Csv(files["guardian.csv"]).Skip(1));
        Assert.Equal(["true", "false"], row[..2]);
        Assert.Equal(["email", ParentEmail, "true"], row[3..6]);
        Assert.NotEqual(string.Empty, row[6]);
        var consent = Assert.Single(ExportApiTests.Csv(files["consents.csv"]).Skip(1), r => r[1] == Analytics);
        Assert.Equal(("true", "guardian"), (consent[2], consent[4]));
        Assert.Contains(WebUtility.HtmlEncode(ParentEmail), files["index.html"], StringComparison.Ordinal);
        Assert.Contains(WebUtility.HtmlEncode($"{Analytics}: given (by your guardian)"), files["index.html"], StringComparison.Ordinal);

        // The adult's zip: the file is there with its header only, and nothing of the minor's guardian anywhere.
        var adultFiles = await ZipAsync(adult);
        Assert.Single(ExportApiTests.Csv(adultFiles["guardian.csv"]));
        Assert.DoesNotContain("Your guardian", adultFiles["index.html"], StringComparison.Ordinal);
        Assert.All(adultFiles.Values, f => Assert.DoesNotContain(ParentEmail, f, StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    [Trait("Clause", "S8.1")]
    public async Task ExportJson_FormerMinorAfterTheEighteenthBirthday_StillShowsTheRecordButNoLongerAMinor(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel, ExportBed.Settings);

        // Born 18 years ago tomorrow (UTC): a minor today, an adult from tomorrow.
        var (minorId, minor) = await SignedInAsync(host, "teen@example.com", Born(host, years: 18).AddDays(1), mailNumber: 1);
        var guardian = await NameAndVerifyAsync(host, minor, minorId, mailNumber: 2);
        await GuardianConsentAsync(guardian, Analytics, granted: true);
        Assert.True((await ExportAsync(minor)).Root.GetProperty("guardian").GetProperty("minor").GetBoolean());

        host.Time.Advance(TimeSpan.FromDays(2));
        var adult = await ExportBed.SignInAsync(host, "teen@example.com", Cancel);
        var (_, root) = await ExportAsync(adult);

        var section = root.GetProperty("guardian");
        Assert.Equal((false, false, ParentEmail, true), (section.GetProperty("minor").GetBoolean(), section.GetProperty("child").GetBoolean(), section.GetProperty("address").GetString(), section.GetProperty("verified").GetBoolean()));
        Assert.Equal(Analytics, Assert.Single(section.GetProperty("consents").EnumerateArray()).GetProperty("purpose").GetString());
    }

    private static async Task<byte[]> TokenHashAsync(SubjectsHost host, Guid minorId)
    {
        await using var db = host.Store.NewDataContext();
        return (await db.Set<MinorAccount>().AsNoTracking().SingleAsync(a => a.SubjectId == minorId, Cancel)).TokenHash!;
    }

    private static DateOnly Born(SubjectsHost host, int years) => DateOnly.FromDateTime(host.Time.GetUtcNow().UtcDateTime).AddYears(-years);

    /// <summary>The object's property names are exactly the schema's, and every required one is there.</summary>
    private static void AssertMatches(JsonElement schema, JsonElement value)
    {
        Assert.Equal(
            schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal),
            value.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.All(schema.GetProperty("required").EnumerateArray(), r => Assert.True(value.TryGetProperty(r.GetString()!, out _), r.GetString()));
    }

    private static async Task<(string Text, JsonElement Root)> ExportAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/api/v1/me/data", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        return (text, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static async Task<Dictionary<string, string>> ZipAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/api/v1/me/data.zip", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync(Cancel)), ZipArchiveMode.Read);
        return zip.Entries.ToDictionary(e => e.FullName, e => ExportApiTests.Read(e).Text, StringComparer.Ordinal);
    }

    /// <summary>Registers with <paramref name="birthDate"/>, verifies the email (the <paramref name="mailNumber"/>-th mail) and signs in now.</summary>
    private static async Task<(Guid Id, HttpClient Client)> SignedInAsync(SubjectsHost host, string email, DateOnly birthDate, int mailNumber)
    {
        var client = host.Client();
        var id = await host.RegisterAsync(client, new { email, password = ExportBed.Password, birthDate, acceptedPolicyHash = host.PolicyHash }, Cancel);
        using var verified = await SubjectsHost.VerifyAsync(client, id, "email", await host.EmailCodeAsync(mailNumber), Cancel);
        Assert.Equal(HttpStatusCode.Created, verified.StatusCode);
        return (id, await ExportBed.SignInAsync(host, email, Cancel));
    }

    /// <summary>The minor names <see cref="ParentEmail"/> (the <paramref name="mailNumber"/>-th mail), who verifies and gets a client with their own token.</summary>
    private static async Task<HttpClient> NameAndVerifyAsync(SubjectsHost host, HttpClient minor, Guid minorId, int mailNumber)
    {
        using (var named = await minor.PutAsJsonAsync("/api/v1/me/guardian", new { email = ParentEmail }, Cancel))
        {
            Assert.Equal(HttpStatusCode.Accepted, named.StatusCode);
        }

        var guardian = host.Client();
        using var verified = await guardian.PostAsJsonAsync("/api/v1/guardian/verify", new { minorId, code = await host.EmailCodeAsync(mailNumber) }, Cancel);
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        var token = (await verified.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("token").GetString();
        guardian.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return guardian;
    }

    private static async Task GuardianConsentAsync(HttpClient guardian, string purpose, bool granted)
    {
        using var response = await guardian.PutAsJsonAsync($"/api/v1/guardian/consents/{purpose}", new { granted }, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
