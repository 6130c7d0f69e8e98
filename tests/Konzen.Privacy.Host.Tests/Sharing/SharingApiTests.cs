using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Host.Tests.Sharing;

public sealed class SharingApiTests
{
    private const string Recipients = "/api/v1/admin/recipients";
    private const string Support = "essential.service.operations.support";

    private static readonly string[] EmailOnly = ["user.contact.email"];
    private static readonly string[] SupportOnly = [Support];
    private static readonly string[] DeviceOnly = ["user.device"];
    private static readonly string[] AdPerformanceOnly = ["analytics.reporting.ad_performance"];
    private static readonly string[] PreciseAndDevice = ["user.location.precise", "user.device"];
    private static readonly string[] NoPurposes = [];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.3")]
    [Trait("Clause", "S6.1")]
    public async Task Pull_IdentifyingData_RefusedUntilTheSubjectAuthorizesThenSentWithItsHashInTheExportAndRefusedAgainAfterRevocation(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (subjectId, subject) = await host.SignedInSubjectAsync("authorizes@example.com", 1, Cancel);
        var (otherId, other) = await host.SignedInSubjectAsync("bystander@example.com", 2, Cancel);
        using var staff = host.StaffClient(await host.AddStaffAsync("ana", Cancel));
        await CreateRecipientAsync(staff, "survey-co", new { name = "Survey Co", kind = "processor", region = "CN", categories = EmailOnly, purposes = SupportOnly });
        var pull = new { basis = "explicit-authorization", purpose = Support, categories = EmailOnly, subjectIds = new[] { subjectId } };

        using var before = await staff.PostAsJsonAsync($"{Recipients}/survey-co/disclosures", pull, Cancel);
        using var authorized = await subject.PutAsJsonAsync("/api/v1/me/authorizations/survey-co", new { categories = EmailOnly }, Cancel);
        using var listed = await subject.GetAsync("/api/v1/me/authorizations", Cancel);
        using var sent = await staff.PostAsJsonAsync($"{Recipients}/survey-co/disclosures", pull, Cancel);
        var body = await sent.Content.ReadAsByteArrayAsync(Cancel);
        using var export = await subject.GetAsync("/api/v1/me/data", Cancel);
        using var otherExport = await other.GetAsync("/api/v1/me/data", Cancel);
        using var zipResponse = await subject.GetAsync("/api/v1/me/data.zip", Cancel);
        using var zip = new ZipArchive(new MemoryStream(await zipResponse.Content.ReadAsByteArrayAsync(Cancel)), ZipArchiveMode.Read);
        using var csv = new StreamReader(await zip.GetEntry("disclosures.csv")!.OpenAsync(Cancel));
        var csvLines = (await csv.ReadToEndAsync(Cancel)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        using var revoked = await subject.DeleteAsync("/api/v1/me/authorizations/survey-co", Cancel);
        using var after = await staff.PostAsJsonAsync($"{Recipients}/survey-co/disclosures", pull, Cancel);

        Assert.Equal(HttpStatusCode.Forbidden, before.StatusCode);
        var refusal = await before.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(("urn:konzen:problem:disclosure-refused", "NotAuthorized", "S5.3"),
            (refusal.GetProperty("type").GetString(), refusal.GetProperty("refusal").GetString(), refusal.GetProperty("clause").GetString()));
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        Assert.Equal(["user.contact.email"], (await listed.Content.ReadFromJsonAsync<JsonElement>(Cancel))[0].GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        var data = JsonDocument.Parse(body).RootElement;
        Assert.Equal("authorizes@example.com", data.GetProperty("subjects")[0].GetProperty("fields").GetProperty("user.contact.email").GetString());
        var sha = Convert.ToHexStringLower(SHA256.HashData(body));
        Assert.Equal(sha, sent.Headers.GetValues("Konzen-Disclosure-Sha256").Single());
        var disclosureId = sent.Headers.GetValues("Konzen-Disclosure-Id").Single();
        var exported = Assert.Single((await export.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("disclosures").EnumerateArray());
        Assert.Equal((disclosureId, "survey-co", "explicit-authorization", sha, 1),
            (exported.GetProperty("id").GetString(), exported.GetProperty("recipientId").GetString(), exported.GetProperty("basis").GetString(), exported.GetProperty("sha256").GetString(), exported.GetProperty("subjectCount").GetInt32()));
        Assert.Empty((await otherExport.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("disclosures").EnumerateArray());
        Assert.Equal(2, csvLines.Length);
        Assert.Equal("id,recipientId,recipientName,at,basis,purpose,categories,subjectCount,sha256,k", csvLines[0]);
        Assert.StartsWith($"{disclosureId},survey-co,Survey Co,", csvLines[1], StringComparison.Ordinal);
        Assert.EndsWith($",explicit-authorization,{Support},user.contact.email,1,{sha},", csvLines[1], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
        Assert.NotEqual(subjectId, otherId);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.6")]
    public async Task LegalRequest_FilerCannotApprove_SecondStaffApproves_DisclosedOnceAndCountedInThePublicReport(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (subjectId, _) = await host.SignedInSubjectAsync("investigated@example.com", 1, Cancel);
        using var ana = host.StaffClient(await host.AddStaffAsync("ana", Cancel));
        using var bo = host.StaffClient(await host.AddStaffAsync("bo", Cancel));
        await CreateRecipientAsync(ana, "city-police", new { name = "City Public Security Bureau", kind = "authority", region = "CN", categories = EmailOnly, purposes = NoPurposes });

        using var filed = await ana.PostAsJsonAsync("/api/v1/admin/legal-requests", new
        {
            legalBasis = "criminal-justice", authority = "City Public Security Bureau", documentReference = "PSB-2026-0042", recipientId = "city-police",
            subjectIds = new[] { subjectId }, categories = EmailOnly, purpose = "investigation of a fraud case",
        }, Cancel);
        var requestId = (await filed.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("id").GetGuid();
        var pull = new { basis = "legal-exception", purpose = "criminal-justice", categories = EmailOnly, subjectIds = new[] { subjectId }, legalRequestId = requestId };
        using var unapproved = await ana.PostAsJsonAsync($"{Recipients}/city-police/disclosures", pull, Cancel);
        using var selfApproved = await ana.PostAsJsonAsync($"/api/v1/admin/legal-requests/{requestId}/approve", new { reason = "mine" }, Cancel);
        using var approved = await bo.PostAsJsonAsync($"/api/v1/admin/legal-requests/{requestId}/approve", new { reason = "warrant checked" }, Cancel);
        using var disclosed = await ana.PostAsJsonAsync($"{Recipients}/city-police/disclosures", pull, Cancel);
        using var again = await ana.PostAsJsonAsync($"{Recipients}/city-police/disclosures", pull, Cancel);
        using var report = await host.Client().GetAsync("/transparency", Cancel);
        var reportText = await report.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, unapproved.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, selfApproved.StatusCode);
        Assert.Equal("urn:konzen:problem:four-eyes", (await selfApproved.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.Equal("staff:bo", (await approved.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("decidedBy").GetString());
        Assert.Equal(HttpStatusCode.OK, disclosed.StatusCode);
        Assert.Contains("investigated@example.com", await disclosed.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        var json = JsonDocument.Parse(reportText).RootElement;
        Assert.Equal(1, json.GetProperty("byBasis").GetProperty("legal-exception").GetInt32());
        Assert.Equal(1, json.GetProperty("legalExceptionsByLegalBasis").GetProperty("criminal-justice").GetInt32());
        Assert.Equal(0, json.GetProperty("legalExceptionsByLegalBasis").GetProperty("national-security").GetInt32());
        Assert.DoesNotContain(subjectId.ToString(), reportText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("investigated", reportText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.4")]
    public async Task PublicDisclosure_SubjectSeesTheNoticeAndConsentsOnlyByNamingItsHash(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, subject) = await host.SignedInSubjectAsync("public@example.com", 1, Cancel);
        using var staff = host.StaffClient(await host.AddStaffAsync("ana", Cancel));

        using var created = await staff.PostAsJsonAsync("/api/v1/admin/public-disclosures", new
        {
            purpose = new Dictionary<string, string> { ["en"] = "a public map of outages", ["zh-CN"] = "公开的故障地图" },
            categories = PreciseAndDevice,
        }, Cancel);
        using var listed = await subject.GetAsync("/api/v1/me/public-disclosures", Cancel);
        var notice = (await listed.Content.ReadFromJsonAsync<JsonElement>(Cancel))[0];
        var id = notice.GetProperty("id").GetGuid();
        var hash = notice.GetProperty("notice").GetProperty("en").GetProperty("hash").GetString();
        using var wrong = await subject.PutAsJsonAsync($"/api/v1/me/public-disclosures/{id}", new { noticeHash = new string('0', 64), language = "en" }, Cancel);
        using var consented = await subject.PutAsJsonAsync($"/api/v1/me/public-disclosures/{id}", new { noticeHash = hash, language = "en" }, Cancel);
        using var withdrawn = await subject.DeleteAsync($"/api/v1/me/public-disclosures/{id}", Cancel);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(["user.location.precise"], notice.GetProperty("sensitiveCategories").EnumerateArray().Select(c => c.GetString()));
        Assert.Contains("a public map of outages", notice.GetProperty("notice").GetProperty("en").GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, notice.GetProperty("consent").ValueKind);
        Assert.Equal(HttpStatusCode.Conflict, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, consented.StatusCode);
        Assert.True((await consented.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("granted").GetBoolean());
        Assert.False((await withdrawn.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("granted").GetBoolean());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.2")]
    public async Task AdminRecipients_BadInputOrSubjectToken_ProblemAndTheStoreUnchanged(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (_, subject) = await host.SignedInSubjectAsync("not-staff@example.com", 1, Cancel);
        using var staff = host.StaffClient(await host.AddStaffAsync("ana", Cancel));
        await CreateRecipientAsync(staff, "acme-ads", new { name = "Acme Ads", kind = "advertiser", policyClass = "advertisers", region = "CN", categories = DeviceOnly, purposes = AdPerformanceOnly });
        var before = await host.DumpAsync(Cancel);

        using var emailToAdvertiser = await staff.PutAsJsonAsync($"{Recipients}/acme-ads", new { name = "Acme Ads", kind = "advertiser", policyClass = "advertisers", region = "CN", categories = EmailOnly, purposes = AdPerformanceOnly }, Cancel);
        using var unknownKind = await staff.PutAsJsonAsync($"{Recipients}/broker", new { name = "Broker", kind = "data-broker", region = "CN", categories = DeviceOnly, purposes = NoPurposes }, Cancel);
        using var badSlug = await staff.PutAsJsonAsync($"{Recipients}/Not%20A%20Slug", new { name = "X", kind = "processor", region = "CN", categories = DeviceOnly, purposes = NoPurposes }, Cancel);
        using var badAgreement = await staff.PostAsJsonAsync($"{Recipients}/acme-ads/agreements", new { kind = "handshake", reference = "R-1", signedAt = host.Time.GetUtcNow(), expiresAt = host.Time.GetUtcNow().AddDays(30) }, Cancel);
        using var unknownField = await staff.PostAsJsonAsync($"{Recipients}/acme-ads/agreements", new { kind = "commitment-letter", reference = "R-1", signedAt = host.Time.GetUtcNow(), expiresAt = host.Time.GetUtcNow().AddDays(30), note = "x" }, Cancel);
        using var badLegal = await staff.PostAsJsonAsync("/api/v1/admin/legal-requests", new { legalBasis = "curiosity", authority = "A", documentReference = "D", recipientId = "acme-ads", subjectIds = Array.Empty<Guid>(), categories = EmailOnly, purpose = "p" }, Cancel);
        using var asSubject = await subject.PutAsJsonAsync($"{Recipients}/sneaky", new { name = "Sneaky", kind = "processor", region = "CN", categories = DeviceOnly, purposes = NoPurposes }, Cancel);

        foreach (var response in new[] { emailToAdvertiser, unknownKind, badSlug, badAgreement, unknownField, badLegal })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        var errors = (await emailToAdvertiser.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("categories", out _));
        var legalErrors = (await badLegal.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("errors");
        Assert.Equal(["legalBasis", "recipientId", "subjectIds"], legalErrors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, asSubject.StatusCode);
        Assert.Equivalent(before, await host.DumpAsync(Cancel), strict: true);
    }

    private static async Task CreateRecipientAsync(HttpClient staff, string id, object body)
    {
        using var created = await staff.PutAsJsonAsync($"{Recipients}/{id}", body, Cancel);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var agreement = await staff.PostAsJsonAsync($"{Recipients}/{id}/agreements", new
        {
            kind = "data-processing-agreement", reference = $"DPA-{id}", signedAt = DateTimeOffset.UnixEpoch, expiresAt = new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero),
        }, Cancel);
        Assert.Equal(HttpStatusCode.Created, agreement.StatusCode);
    }
}
