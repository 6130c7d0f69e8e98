using System.Text.Json;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Rights;
using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Tests.Notices;
using Konzen.Privacy.Vault;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Rights;

/// <summary>
/// The export's sections over the sharing and notification tables: two subjects each get an authorization
/// and its revocation, a public-disclosure consent and its withdrawal, and a notification; each export
/// shows its own subject's rows in order and nothing of the other's.
/// </summary>
public sealed class DataExportTests
{
    private const string Staff = "staff:ana";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    public async Task Sections_SubjectWithAuthorizationsPublicConsentsAndNotifications_ListsItsOwnOldestFirstAndNoneOfAnother(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var other = await SeedAsync(bed, "other", PolicyLanguage.En);
        var mine = await SeedAsync(bed, "mine", PolicyLanguage.ZhCn);

        var authorizations = await bed.RunAsync(s => s.GetRequiredService<DataExport>().IdentifyingAuthorizationsAsync(mine.Id).ToListAsync(Ct).AsTask());
        var publicConsents = await bed.RunAsync(s => s.GetRequiredService<DataExport>().PublicDisclosureConsentsAsync(mine.Id).ToListAsync(Ct).AsTask());
        var notifications = await bed.RunAsync(s => s.GetRequiredService<DataExport>().NotificationsAsync(mine.Id, Ct).ToListAsync(Ct).AsTask());
        var language = await bed.RunAsync(s => s.GetRequiredService<DataExport>().NotificationLanguageAsync(mine.Id, Ct));
        var otherNotifications = await bed.RunAsync(s => s.GetRequiredService<DataExport>().NotificationsAsync(other.Id, Ct).ToListAsync(Ct).AsTask());

        Assert.Equal(
            [(mine.Recipient, "Recipient mine", "user.contact.email", true), (mine.Recipient, "Recipient mine", "", false)],
            authorizations.Select(a => (a.RecipientId, a.RecipientName, string.Join(",", a.Categories), a.Granted)));
        Assert.True(authorizations[0].Id < authorizations[1].Id);
        Assert.Equal(
            [(mine.Notice, mine.NoticeHash, "en", true), (mine.Notice, null, null, false)],
            publicConsents.Select(c => (c.NoticeId, c.NoticeHash, c.Language, c.Granted)));
        Assert.Equal("zh-CN", language?.Language);
        Assert.Equal([NotificationChannel.InApp, NotificationChannel.Email], notifications.Select(n => n.Channel).Order());
        Assert.All(notifications, n => Assert.Equal(("controller-transferred", "zh-CN", "Heir mine 现在负责处理您的个人信息"), (n.Template, n.Language, n.Subject)));
        Assert.All(notifications, n => Assert.Contains("Heir mine 接替 Konzen", n.Body, StringComparison.Ordinal));
        Assert.Equal(
            [(NotificationChannel.InApp, NotificationStatus.Sent), (NotificationChannel.Email, NotificationStatus.Pending)],
            notifications.Select(n => (n.Channel, n.Status)).OrderBy(n => n.Channel));

        // The other subject's own rows are there (so their absence above is the filter, not an empty table).
        Assert.All(otherNotifications, n => Assert.Equal("Heir other is now responsible for your personal information", n.Subject));
        Assert.Equal(2, otherNotifications.Count);
        Assert.DoesNotContain(notifications, n => otherNotifications.Any(o => o.Id == n.Id));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    public async Task Document_SubjectWithSharingAndNotificationRows_WritesTheirSectionsAndNothingOfAnother(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var other = await SeedAsync(bed, "other", PolicyLanguage.ZhCn);
        var mine = await SeedAsync(bed, "mine", null);

        var text = await bed.RunAsync(async s =>
        {
            var export = s.GetRequiredService<DataExport>();
            var account = await export.AccountAsync(mine.Id, Ct);
            await using var stream = new MemoryStream();
            await DataExportJson.WriteAsync(stream, export, account!, bed.Time.GetUtcNow(), Ct);
            return System.Text.Encoding.UTF8.GetString(stream.ToArray());
        });

        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("identifyingAuthorizations").GetArrayLength());
        Assert.Equal(mine.Recipient, root.GetProperty("identifyingAuthorizations")[0].GetProperty("recipientId").GetString());
        Assert.Equal(2, root.GetProperty("publicDisclosureConsents").GetArrayLength());
        Assert.Equal(mine.NoticeHash, root.GetProperty("publicDisclosureConsents")[0].GetProperty("noticeHash").GetString());
        var notifications = root.GetProperty("notifications");

        // Never chosen: null, and the items are in English.
        Assert.Equal(JsonValueKind.Null, notifications.GetProperty("language").ValueKind);
        Assert.Equal(["email", "in-app"], notifications.GetProperty("items").EnumerateArray().Select(n => n.GetProperty("channel").GetString()).Order(StringComparer.Ordinal));
        Assert.All(notifications.GetProperty("items").EnumerateArray(), n => Assert.Equal("Heir mine is now responsible for your personal information", n.GetProperty("subject").GetString()));
        foreach (var value in new[] { other.Id.ToString(), other.Recipient, other.Notice.ToString(), other.NoticeHash, "Heir other", "zh-CN" })
        {
            Assert.DoesNotContain(value, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.1")]
    public async Task Notifications_AfterTheSubjectsKeyWasShredded_StillListedWithoutTheirText(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var mine = await SeedAsync(bed, "mine", null);
        Assert.True(await bed.RunAsync(s => s.GetRequiredService<SubjectKeys>().ShredAsync(mine.Id, Ct)));

        var notifications = await bed.RunAsync(s => s.GetRequiredService<DataExport>().NotificationsAsync(mine.Id, Ct).ToListAsync(Ct).AsTask());

        Assert.Equal(2, notifications.Count);
        Assert.All(notifications, n => Assert.Equal(("controller-transferred", null, null), (n.Template, n.Subject, n.Body)));
    }

    private sealed record Seeded(Guid Id, string Recipient, Guid Notice, string NoticeHash);

    /// <summary>
    /// A subject with an email address (so notices go in-app and by email), its own recipient authorized
    /// then revoked, its own public notice consented to (English text) then withdrawn, and one
    /// controller-transfer notice naming <c>Heir {marker}</c>.
    /// </summary>
    private static async Task<Seeded> SeedAsync(NoticesBed bed, string marker, PolicyLanguage? language)
    {
        var id = await bed.AddSubjectAsync(Ct, email: $"{marker}@example.com", language: language);
        var recipient = $"survey-{marker}";
        return await bed.RunAsync(async s =>
        {
            var saved = await s.GetRequiredService<Recipients>().SaveAsync(recipient, new RecipientDraft(
                $"Recipient {marker}", RecipientKind.Processor, null, "CN", ["user.contact.email"], ["functional.service.surveys"], null), Staff, Ct);
            Assert.True(saved.Outcome.Succeeded, saved.Outcome.Detail);
            var authorizations = s.GetRequiredService<IdentifyingAuthorizations>();
            Assert.True((await authorizations.GrantAsync(id, recipient, ["user.contact.email"], Ct)).Succeeded);
            bed.Time.Advance(TimeSpan.FromMinutes(1));
            Assert.True((await authorizations.RevokeAsync(id, recipient, Ct)).Succeeded);

            var disclosures = s.GetRequiredService<PublicDisclosures>();
            var notice = (await disclosures.CreateNoticeAsync(new LocalizedText($"a public map for {marker}", $"公开地图 {marker}"), ["user.device"], Staff, Ct)).Value!;
            Assert.True((await disclosures.RecordAsync(id, notice.Id, true, notice.HashEn, Ct)).Succeeded);
            Assert.True((await disclosures.RecordAsync(id, notice.Id, false, null, Ct)).Succeeded);

            var written = await s.GetRequiredService<NotificationOutbox>().EnqueueAsync(id, NotificationTemplates.ControllerTransferred, new Dictionary<string, string>
            {
                ["from"] = "Konzen", ["to"] = $"Heir {marker}", ["effective"] = "2027-01-01", ["policyVersion"] = "1", ["policyHash"] = new string('c', 64),
            }, Ct);
            Assert.Equal(2, written.Count);
            return new Seeded(id, recipient, notice.Id, notice.HashEn);
        });
    }
}
