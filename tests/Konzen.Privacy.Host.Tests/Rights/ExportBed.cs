using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Residency;
using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Host.Tests.Rights;

/// <summary>What one seeded subject holds: every value the export must show (or, for another subject, must not).</summary>
internal sealed record SeededSubject(
    Guid Id, string Email, string Phone, double Latitude, double Longitude, Guid PointId, string Page, string Target, string TransferId, string Question,
    string RecipientId, string RecipientName, Guid NoticeId, string NoticeHash, string Heir);

/// <summary>Builds subjects with data in every category, through the service's own intake where there is one.</summary>
internal static class ExportBed
{
    /// <summary>
    /// The seeding moves the clock a month on; the escalation mail for the request it files would then
    /// shift the codes the tests read by mail number, so escalation is off here (its own tests cover it).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Requests:EscalationEnabled"] = "false",

        // Likewise the seeded notification's email would become a mail; the export shows it pending.
        ["Notifications:Enabled"] = "false",
    };

    public const string Password = "correct horse battery";

    /// <summary>
    /// Registers <paramref name="email"/> (the <paramref name="mailNumber"/>-th mail) and gives it a phone,
    /// consents with a withdrawal, a location point, log events in two pseudonym periods, a transfer
    /// consent, positioning off, a staff read of its email, an identifying authorization of its own
    /// recipient then its revocation, a consent to its own public-disclosure notice then a withdrawal,
    /// and a notification (in-app, read, and by email) in Chinese naming its own heir. Leaves the clock 31 days on.
    /// </summary>
    public static async Task<SeededSubject> SeedAsync(SubjectsHost host, string email, string phone, int mailNumber, int marker, CancellationToken cancellationToken)
    {
        var (id, client) = await host.SignedInSubjectAsync(email, mailNumber, cancellationToken);
        var latitude = 30 + (marker / 1000.0) + 0.123457;
        var longitude = 120 + (marker / 1000.0) + 0.654321;
        var page = $"https://konzen.example/domains/page-{marker}-{Guid.NewGuid():N}";
        var target = $"button-{marker}-{Guid.NewGuid():N}";
        var transferId = $"transfer-{marker}";
        await ConsentAsync(client, "functional.location", true, cancellationToken);
        await ConsentAsync(client, "analytics.reporting", true, cancellationToken);
        await ConsentAsync(client, "personalize", true, cancellationToken);
        await ConsentAsync(client, "personalize", false, cancellationToken);

        using var located = await client.PostAsJsonAsync("/api/v1/me/locations", new
        {
            latitude, longitude, accuracy = 12.5, source = "gps", positioning = "on", time = host.Time.GetUtcNow(),
        }, cancellationToken);
        Assert.Equal(HttpStatusCode.Created, located.StatusCode);
        var pointId = (await located.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetGuid();

        await using (var scope = host.App.Services.CreateAsyncScope())
        {
            var services = scope.ServiceProvider;
            var db = services.GetRequiredService<PrivacyDbContext>();
            Assert.Equal(VaultWrite.Written, await services.GetRequiredService<PersonalDataVault>().WriteAsync(db, id, PersonalDataVault.PhoneField, phone, $"subject:{id}", cancellationToken));
            db.Add(new TransferConsent { SubjectId = id, TransferId = transferId, Granted = true, NoticeHash = new string('a', 64), Language = "en", At = host.Time.GetUtcNow() });
            await db.SaveChangesAsync(cancellationToken);
            db.Add(new PositioningState { SubjectId = id, On = false, Since = host.Time.GetUtcNow() });
            await services.GetRequiredService<AuditLog>().SaveChangesAsync(db, new AuditRecord($"subject:{id}", "positioning.off", id), cancellationToken);
            var state = await services.GetRequiredService<ConsentLedger>().GetStateAsync(id, cancellationToken);
            await services.GetRequiredService<PersonalDataVault>().ReadAsync(db, state, id, PersonalDataVault.EmailField, "essential.service.operations.support", "staff:ana", cancellationToken);
        }

        var recipientId = $"survey-{marker}-{Guid.NewGuid():N}";
        var recipientName = $"Survey Co {marker}-{Guid.NewGuid():N}";
        var heir = $"Heir {marker}-{Guid.NewGuid():N}";
        PublicDisclosureNotice notice;
        await using (var scope = host.App.Services.CreateAsyncScope())
        {
            var services = scope.ServiceProvider;
            var saved = await services.GetRequiredService<Recipients>().SaveAsync(recipientId, new RecipientDraft(
                recipientName, RecipientKind.Processor, null, "CN", ["user.contact.email"], ["functional.service.surveys"], "privacy@survey.example"), "staff:ana", cancellationToken);
            Assert.True(saved.Outcome.Succeeded, saved.Outcome.Detail);
            var authorizations = services.GetRequiredService<IdentifyingAuthorizations>();
            Assert.True((await authorizations.GrantAsync(id, recipientId, ["user.contact.email"], cancellationToken)).Succeeded);
            Assert.True((await authorizations.RevokeAsync(id, recipientId, cancellationToken)).Succeeded);

            var publicDisclosures = services.GetRequiredService<PublicDisclosures>();
            var created = await publicDisclosures.CreateNoticeAsync(new LocalizedText($"a public map {marker}", $"公开地图 {marker}"), ["user.device"], "staff:ana", cancellationToken);
            notice = created.Value!;
            Assert.True((await publicDisclosures.RecordAsync(id, notice.Id, true, notice.HashEn, cancellationToken)).Succeeded);
            Assert.True((await publicDisclosures.RecordAsync(id, notice.Id, false, null, cancellationToken)).Succeeded);

            var outbox = services.GetRequiredService<NotificationOutbox>();
            await outbox.SetLanguageAsync(id, PolicyLanguage.ZhCn, cancellationToken);
            var written = await outbox.EnqueueAsync(id, NotificationTemplates.ControllerTransferred, new Dictionary<string, string>
            {
                ["from"] = "Konzen", ["to"] = heir, ["effective"] = "2027-01-01", ["policyVersion"] = "1", ["policyHash"] = new string('b', 64),
            }, cancellationToken);
            Assert.Equal(2, written.Count);
            Assert.True(await outbox.MarkReadAsync(id, written[0], cancellationToken));
        }

        var question = $"Which data do you hold? {marker}-{Guid.NewGuid():N}";
        using (var filed = await client.PostAsJsonAsync("/api/v1/me/requests", new { kind = "question", channel = "email", text = question }, cancellationToken))
        {
            Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        }

        await EventsAsync(host, id, page, target, 2, cancellationToken);
        host.Time.Advance(TimeSpan.FromDays(31));
        await EventsAsync(host, id, page, target, 1, cancellationToken);
        return new SeededSubject(id, email, phone, latitude, longitude, pointId, page, target, transferId, question, recipientId, recipientName, notice.Id, notice.HashEn, heir);
    }

    /// <summary>Stores <paramref name="count"/> events of the subject now, through the intake (a security click each, content sealed).</summary>
    public static async Task EventsAsync(SubjectsHost host, Guid subjectId, string page, string target, int count, CancellationToken cancellationToken)
    {
        await using var scope = host.App.Services.CreateAsyncScope();
        var intake = scope.ServiceProvider.GetRequiredService<EventIntake>();
        var at = host.Time.GetUtcNow() - TimeSpan.FromMinutes(1);
        for (var done = 0; done < count; done += EventIntake.MaxEvents)
        {
            var batch = Enumerable.Range(0, Math.Min(EventIntake.MaxEvents, count - done))
                .Select(i => new EventInput("click", "security", at, page, target, [new("n", (done + i).ToString(System.Globalization.CultureInfo.InvariantCulture))]))
                .ToList();
            var result = await intake.RecordAsync(EventActor.Subject(subjectId), batch, false, IPAddress.Parse("203.0.113.77"), cancellationToken);
            Assert.Equal(batch.Count, result.Stored);
        }
    }

    /// <summary>A fresh bearer session of the subject: signed in now.</summary>
    public static async Task<HttpClient> SignInAsync(SubjectsHost host, string email, CancellationToken cancellationToken)
    {
        var client = host.App.CreateClient();
        using var token = await client.PostAsJsonAsync("/api/v1/sessions", new { email, password = Password, mode = "token" }, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        var accessToken = (await token.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("accessToken").GetString();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);
        return client;
    }

    private static async Task ConsentAsync(HttpClient client, string purpose, bool granted, CancellationToken cancellationToken)
    {
        using var response = await client.PutAsJsonAsync($"/api/v1/me/consents/{purpose}", new { granted }, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
