using System.Net;
using System.Text;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Collection;

/// <summary>Event intake through the library: the purpose gate per event, pseudonyms, sealing, whole-batch validation.</summary>
public sealed class EventIntakeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.6")]
    public async Task Record_SubjectWithoutConsent_DropsOptionalPurposesBeforeStorage(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var subject = await bed.NewSubjectAsync();

        var result = await bed.RecordAsync(EventActor.Subject(subject), bed.EveryKind());

        // Security covers page views, clicks and device information, not searches (the policy's list).
        Assert.Equal((16, 3, 13), (result.Received, result.Stored, result.Dropped));
        Assert.Equal(3, result.StoredByPurpose["security"]);
        Assert.Equal(new Dictionary<string, int> { ["security"] = 1, ["analytics"] = 4, ["personalization"] = 4, ["advertising"] = 4 }, result.DroppedByPurpose);
        Assert.Equal(new Dictionary<string, int> { ["essential.service.security"] = 3 }, await bed.StoredByPurposeAsync());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.5")]
    [Trait("Clause", "S1.6")]
    public async Task Record_SubjectWithAnalyticsConsent_StoresAnalyticsUnderPurposeAndCategory(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var subject = await bed.NewSubjectAsync("analytics.reporting");

        var result = await bed.RecordAsync(EventActor.Subject(subject), bed.EveryKind());

        Assert.Equal(6, result.Stored);
        Assert.Equal(3, result.StoredByPurpose["analytics"]);
        var rows = await bed.EventsAsync();
        Assert.Equal(
            ["analytics.reporting|user.behavior.browsing_history", "analytics.reporting|user.behavior.clicks", "analytics.reporting|user.device",
             "essential.service.security|user.behavior.browsing_history", "essential.service.security|user.behavior.clicks", "essential.service.security|user.device"],
            rows.Select(r => $"{r.Purpose}|{r.Category}").Order(StringComparer.Ordinal));
        Assert.Single(rows.Select(r => r.PseudonymId).Distinct());
        Assert.All(rows, r => Assert.True(r.SubjectSealed));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.5")]
    [Trait("Clause", "S1.6")]
    public async Task Record_Anonymous_KeepsOnlySecurityWithTruncatedAddress(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);

        var result = await bed.RecordAsync(EventActor.Anonymous, bed.EveryKind(), address: IPAddress.Parse("203.0.113.77"));

        Assert.Equal(3, result.Stored);
        var rows = await bed.EventsAsync();
        Assert.All(rows, r => Assert.Equal(("essential.service.security", "203.0.113.0/24", false), (r.Purpose, r.Ip, r.SubjectSealed)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.5")]
    public async Task Record_AnalyticsEvent_StoresNoAddress(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var subject = await bed.NewSubjectAsync("analytics.reporting");

        await bed.RecordAsync(EventActor.Subject(subject), [bed.Event(purpose: "analytics"), bed.Event(purpose: "security")], address: IPAddress.Parse("2001:db8:85a3::8a2e:370:7348"));

        var rows = await bed.EventsAsync();
        Assert.Equal(["analytics.reporting|", "essential.service.security|2001:db8:85a3::/48"], rows.Select(r => $"{r.Purpose}|{r.Ip}").Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.6")]
    public async Task Record_WithGlobalPrivacyControl_DropsAdvertisingDespiteConsent(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var subject = await bed.NewSubjectAsync("marketing.advertising.profiling", "analytics.reporting");
        EventInput[] events = [bed.Event(purpose: "advertising"), bed.Event(purpose: "analytics")];

        var withSignal = await bed.RecordAsync(EventActor.Subject(subject), events, gpc: true);
        var without = await bed.RecordAsync(EventActor.Subject(subject), events, gpc: false);

        Assert.Equal((1, 1), (withSignal.DroppedByPurpose["advertising"], withSignal.StoredByPurpose["analytics"]));
        Assert.Equal((0, 1), (without.DroppedByPurpose["advertising"], without.StoredByPurpose["advertising"]));
        Assert.Equal(new Dictionary<string, int> { ["analytics.reporting"] = 2, ["marketing.advertising.profiling"] = 1 }, await bed.StoredByPurposeAsync());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.5")]
    public async Task Record_SameActor_SamePseudonymWithinPeriodNewOneInNext(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var subject = await bed.NewSubjectAsync();
        var visitor = Guid.NewGuid();
        var period = bed.Services.Root.GetRequiredService<EpochKeys>().EpochOf(bed.Time.GetUtcNow()) + 1;
        bed.Time.SetUtcNow(DateTimeOffset.UnixEpoch + (TimeSpan.FromDays(30) * period) + TimeSpan.FromHours(1));

        await bed.RecordAsync(EventActor.Subject(subject), [bed.Event()]);
        await bed.RecordAsync(EventActor.Visitor(visitor), [bed.Event()]);
        bed.Time.Advance(TimeSpan.FromDays(1));
        await bed.RecordAsync(EventActor.Subject(subject), [bed.Event()]);
        bed.Time.Advance(TimeSpan.FromDays(29));
        await bed.RecordAsync(EventActor.Subject(subject), [bed.Event()]);

        var ids = (await bed.EventsAsync()).Select(e => e.PseudonymId).ToList();
        Assert.Equal(ids[0], ids[2]);
        Assert.NotEqual(ids[0], ids[1]);
        Assert.NotEqual(ids[0], ids[3]);
        await using var db = bed.Store.NewDataContext();
        var pseudonyms = db.Set<EventPseudonym>().OrderBy(p => p.Id).ToList();
        Assert.Equal(3, pseudonyms.Count);
        Assert.Equal((period, period + 1), (pseudonyms[0].Epoch, pseudonyms[2].Epoch));
        Assert.NotEqual(Convert.ToHexString(pseudonyms[0].Hmac), Convert.ToHexString(pseudonyms[2].Hmac));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S1.5")]
    [Trait("Clause", "S2.1")]
    public async Task Record_StoredRows_HoldNoPlaintextContentNorActorId(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var subject = await bed.NewSubjectAsync();
        var visitor = Guid.NewGuid();
        const string Page = "/domains/secret-page-4711";
        EventInput Secret() => new("click", "security", bed.Time.GetUtcNow(), Page, "target-text-0815", [new("query", "private-value-2342")]);

        await bed.RecordAsync(EventActor.Subject(subject), [Secret()]);
        await bed.RecordAsync(EventActor.Visitor(visitor), [Secret()]);

        var raw = string.Join('\n', await bed.RawRowsAsync());
        string[] secrets = ["secret-page-4711", "target-text-0815", "private-value-2342"];
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, raw, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToHexString(Encoding.UTF8.GetBytes(secret)), raw, StringComparison.OrdinalIgnoreCase);
        }

        foreach (var id in new[] { subject, visitor })
        {
            var inEvents = (await bed.RawRowsAsync()).Where(r => r.StartsWith("log_events", StringComparison.Ordinal) || r.StartsWith("event_pseudonyms", StringComparison.Ordinal));
            var text = string.Join('\n', inEvents);
            Assert.DoesNotContain(id.ToString("D"), text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(id.ToString("N"), text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToHexString(id.ToByteArray()), text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToHexString(id.ToByteArray(bigEndian: true)), text, StringComparison.OrdinalIgnoreCase);
        }

        // Sealed, not lost: the subject's key opens the subject's event, and only for its own row.
        var row = (await bed.EventsAsync())[0];
        await using var db = bed.Store.NewDataContext();
        var pseudonym = db.Set<EventPseudonym>().Single(p => p.Id == row.PseudonymId).Hmac;
        await using var scope = bed.Services.CreateScope();
        var key = await scope.ServiceProvider.GetRequiredService<SubjectKeys>().FindAsync(subject, Ct);
        using var seal = EventSeal.ForSubject(key!, subject);
        var aad = new EventAad(pseudonym, row.Purpose, row.Category, row.Type, row.At.ToUnixTimeSeconds());
        Assert.Contains(Page, Encoding.UTF8.GetString(seal.Open(row.Payload, aad)), StringComparison.Ordinal);
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => seal.Open(row.Payload, aad with { Category = "user.device" }));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Record_OneMalformedEvent_StoresNothingOfTheBatch(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var audits = await bed.AuditCountAsync();
        var events = Enumerable.Range(0, 10).Select(_ => bed.Event()).ToList();
        events[7] = bed.Event(type: "keystroke");

        var result = await bed.RecordAsync(EventActor.Anonymous, events);

        Assert.False(result.Valid);
        Assert.Equal((7, "type"), (result.Invalid!.Index, result.Invalid.Field));
        Assert.Empty(await bed.EventsAsync());
        Assert.Equal(audits, await bed.AuditCountAsync());
    }

    [Theory]
    [InlineData("purpose", "click", "tracking", 0.0)]
    [InlineData("at", "click", "security", 10.0)]
    [InlineData("at", "click", "security", -200 * 24 * 60.0)]
    public async Task Record_InvalidField_RefusedWithTheField(string field, string type, string purpose, double minutesFromNow)
    {
        await using var bed = await EventBed.StartAsync(DatabaseProvider.Sqlite);

        var result = await bed.RecordAsync(EventActor.Anonymous, [bed.Event(), bed.Event(type, purpose, at: bed.Time.GetUtcNow().AddMinutes(minutesFromNow))]);

        Assert.Equal((1, field), (result.Invalid!.Index, result.Invalid.Field));
        Assert.Empty(await bed.EventsAsync());
    }

    [Fact]
    public async Task Record_TooManyEvents_StoresNothing()
    {
        await using var bed = await EventBed.StartAsync(DatabaseProvider.Sqlite);

        var result = await bed.RecordAsync(EventActor.Anonymous, Enumerable.Range(0, EventIntake.MaxEvents + 1).Select(_ => bed.Event()).ToList());

        Assert.Equal("events", result.Invalid!.Field);
        Assert.Empty(await bed.EventsAsync());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Record_Batch_OneAuditEntryWithCountsAndNoContent(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var audits = await bed.AuditCountAsync();

        await bed.RecordAsync(EventActor.Anonymous, [.. Enumerable.Range(0, 50).Select(_ => bed.Event(page: "/domains/audit-secret"))]);

        await using var db = bed.Store.NewDataContext();
        var entry = Assert.Single(db.AuditEntries.Where(e => e.Sequence > audits).ToList());
        Assert.Equal(("anonymous", "events.recorded"), (entry.Actor, entry.Action));
        Assert.Contains("stored 50", entry.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("audit-secret", entry.Detail, StringComparison.Ordinal);
        Assert.True((await AuditVerifier.VerifyAsync(db, Ct)).Intact);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.1")]
    public async Task RotateMasterKey_WithAPeriodKey_RewrapsItSoTheActorKeepsItsPseudonym(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var visitor = EventActor.Visitor(Guid.NewGuid());
        await bed.RecordAsync(visitor, [bed.Event()]);

        string rotated;
        await using (var scope = bed.Services.CreateScope())
        {
            rotated = (await scope.ServiceProvider.GetRequiredService<SubjectKeys>()
                .RotateMasterKeyAsync(scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), "staff:test", Ct)).MasterKeyId;
        }

        await using (var keys = bed.Store.NewKeyContext())
        {
            Assert.Equal(rotated, Assert.Single(keys.Set<EventEpochKey>().ToList()).MasterKeyId);
        }

        // A process started after the rotation has only the new master key, and must still open the period's key.
        await using var restarted = new Testing.VaultServices(bed.Store, bed.Folder, bed.Time);
        await bed.RecordAsync(visitor, [bed.Event()], services: restarted);

        var events = await bed.EventsAsync();
        Assert.Equal(2, events.Count);
        Assert.Equal(events[0].PseudonymId, events[1].PseudonymId);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task CurrentPeriodKey_TwoNodesAtOnce_BothUseTheOneKeyStored(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        await using var other = new Testing.VaultServices(bed.Store, bed.Folder, bed.Time);
        var nodes = new[] { bed.Services.Root.GetRequiredService<EpochKeys>(), other.Root.GetRequiredService<EpochKeys>() };

        var keys = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => nodes[i % 2].CurrentAsync(Ct).AsTask()));

        Assert.Single(keys.Select(k => Convert.ToHexString(k.Key)).Distinct());
        await using var store = bed.Store.NewKeyContext();
        Assert.Single(store.Set<EventEpochKey>().ToList());
    }
}
