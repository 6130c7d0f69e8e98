using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Policy.Versions;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Host.Tests.Policy;

/// <summary>A new policy version over HTTP (S7.1, S7.2): published, shown in both languages, in force at its date, accepted at first use.</summary>
public sealed class PolicyChangesTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S7.1")]
    [Trait("Clause", "S7.2")]
    public async Task MaterialVersion_PublishedThenInForce_ShownPendingThenAcceptedOnceAndNewPurposeWaitsForConsent(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var (subjectId, client) = await host.SignedInSubjectAsync("wang.fang@example.cn", 1, Cancel);
        var effective = DateOnly.FromDateTime(host.Time.GetUtcNow().UtcDateTime).AddDays(20);
        await using (var scope = host.App.Services.CreateAsyncScope())
        {
            var published = await scope.ServiceProvider.GetRequiredService<PolicyPublisher>().PublishAsync(ChangedPolicy.Material(), "next.policy.yaml", effective, "staff:ana", Cancel);
            Assert.True(published.Published);
        }

        // Before the effective date: the change is listed as pending, in both languages, and the old version is in force.
        var changes = await client.GetFromJsonAsync<JsonElement>("/api/v1/policy/changes", Cancel);
        Assert.Equal("1.0.0", changes.GetProperty("inForce").GetString());
        var pending = changes.GetProperty("versions")[0];
        Assert.Equal(("1.1.0", "pending", true), (pending.GetProperty("version").GetString(), pending.GetProperty("status").GetString(), pending.GetProperty("material").GetBoolean()));
        Assert.Contains(pending.GetProperty("changes").EnumerateArray(), c =>
            c.GetProperty("key").GetString() == ChangedPolicy.NewPurpose && c.GetProperty("material").GetBoolean() && c.GetProperty("because").GetString() == "new-purpose");
        var zh = await client.GetStringAsync("/policy/changes?lang=zh-CN", Cancel);
        Assert.Contains("第 1.1.0 版", zh, StringComparison.Ordinal);
        Assert.Contains("新增处理目的“新闻简报”", zh, StringComparison.Ordinal);
        Assert.Contains("您的同意", zh, StringComparison.Ordinal);
        var en = await client.GetStringAsync("/policy/changes", Cancel);
        Assert.Contains($"Takes effect on {effective:yyyy-MM-dd}", en, StringComparison.Ordinal);
        var before = await client.GetFromJsonAsync<JsonElement>("/api/v1/me/policy", Cancel);
        Assert.Equal(("1.0.0", "1.1.0"), (before.GetProperty("version").GetString(), before.GetProperty("pending").GetProperty("version").GetString()));

        // After it (signed in again: the session has expired): the new version is in force, accepted by this use, and what is new needs consent.
        host.Time.Advance(TimeSpan.FromDays(21));
        client = await SignInAsync(host, "wang.fang@example.cn");
        var after = await client.GetFromJsonAsync<JsonElement>("/api/v1/me/policy", Cancel);
        await client.GetFromJsonAsync<JsonElement>("/api/v1/me/policy", Cancel);
        Assert.Equal("1.1.0", after.GetProperty("version").GetString());
        Assert.Equal(JsonValueKind.String, after.GetProperty("acceptedAt").ValueKind);
        Assert.Contains(after.GetProperty("needsConsent").EnumerateArray(), n => n.GetProperty("purpose").GetString() == ChangedPolicy.NewPurpose);
        Assert.False(await AllowedAsync(client, ChangedPolicy.NewPurpose, "user.contact.email"));
        Assert.True(await AllowedAsync(client, "essential.service", "user.contact.email"));

        using (var consent = await client.PutAsJsonAsync($"/api/v1/me/consents/{ChangedPolicy.NewPurpose}", new { granted = true }, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, consent.StatusCode);
        }

        Assert.True(await AllowedAsync(client, ChangedPolicy.NewPurpose, "user.contact.email"));
        await using var db = host.Store.NewDataContext();
        var accepted = await db.Set<ConsentEvent>().Where(e => e.SubjectId == subjectId && e.Kind == ConsentEventKind.PolicyAccepted).ToListAsync(Cancel);
        Assert.Equal(PolicyLoader.Load(ChangedPolicy.Material(), "x").Policy!.Version.ContentHash, Assert.Single(accepted).PolicyHash);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S7.1")]
    public async Task PolicyPublish_FromTheCli_RefusesBadFilesAndEarlyDatesThenPublishes(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        using var folder = new TempFolder();
        await using (var db = store.NewDataContext())
        {
            db.AddRange(VaultServices.NewSubject(), VaultServices.NewSubject());
            await db.SaveChangesAsync(Cancel);
        }

        var broken = folder.Write("broken.policy.yaml", ChangedPolicy.NotMaterial().Replace("  notice_days: 15\n", "  notice_days: fifteen\n", StringComparison.Ordinal));
        var next = folder.Write("next.policy.yaml", ChangedPolicy.NotMaterial());
        var day = DateOnly.FromDateTime(DateTime.UtcNow);

        var validate = await Cli.RunAsync("policy", "validate", broken);
        var bad = await Cli.RunOnAsync(store, folder.Path, "policy", "publish", broken, "--effective", $"{day.AddDays(30):yyyy-MM-dd}");
        var early = await Cli.RunOnAsync(store, folder.Path, "policy", "publish", next, "--effective", $"{day.AddDays(3):yyyy-MM-dd}");
        await using (var db = store.NewDataContext())
        {
            // The first start stored the shipped policy as version 1; the refusals stored nothing, told no one.
            Assert.Equal(1, await db.Set<PublishedPolicy>().CountAsync(Cancel));
            Assert.Equal(0, await db.Set<Privacy.Notices.Notification>().CountAsync(Cancel));
        }

        var good = await Cli.RunOnAsync(store, folder.Path, "policy", "publish", next, "--effective", $"{day.AddDays(30):yyyy-MM-dd}", "--by", "ana");

        Assert.Equal((1, "", validate.Error), (bad.Exit, bad.Output, bad.Error));
        Assert.Equal((1, ""), (early.Exit, early.Output));
        Assert.Contains("earliest effective date is", early.Error, StringComparison.Ordinal);
        Assert.Equal((0, ""), (good.Exit, good.Error));
        Assert.StartsWith($"published policy 1.0.1 as version 2, effective {day.AddDays(30):yyyy-MM-dd}", good.Output, StringComparison.Ordinal);
        Assert.Contains("3 changes, 0 material; notice queued for 2 subjects", good.Output, StringComparison.Ordinal);
        await using (var db = store.NewDataContext())
        {
            Assert.Equal("staff:ana", (await db.Set<PublishedPolicy>().SingleAsync(p => p.Sequence == 2, Cancel)).PublishedBy);
            Assert.Equal(2, await db.Set<Privacy.Notices.Notification>().CountAsync(Cancel));
        }
    }

    private static async Task<HttpClient> SignInAsync(SubjectsHost host, string email)
    {
        var client = host.App.CreateClient();
        using var session = await client.PostAsJsonAsync("/api/v1/sessions", new { email, password = "correct horse battery", mode = "token" }, Cancel);
        var token = (await session.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("accessToken").GetString();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<bool> AllowedAsync(HttpClient client, string purpose, string category) =>
        (await client.GetFromJsonAsync<JsonElement>($"/api/v1/me/decisions?purpose={purpose}&category={category}", Cancel)).GetProperty("allowed").GetBoolean();
}
