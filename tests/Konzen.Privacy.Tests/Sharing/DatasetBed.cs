using System.Globalization;
using System.Text;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Testing;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Konzen.Privacy.Tests.Sharing;

/// <summary>The library's real services over one test's stores, on a fake clock, with subjects who register, consent and browse.</summary>
internal sealed class DatasetBed : IAsyncDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly string folder = Directory.CreateTempSubdirectory("konzen-sharing-").FullName;

    private DatasetBed(TestStore store)
    {
        Store = store;
        Time = new FakeTimeProvider(Now);
        Services = new VaultServices(store, folder, Time);
    }

    public TestStore Store { get; }

    public FakeTimeProvider Time { get; }

    public VaultServices Services { get; }

    /// <summary>The key files' folder; a second <see cref="VaultServices"/> over it and the store is a restarted process.</summary>
    public string Folder => folder;

    /// <summary>A period around now that holds every event the bed sends.</summary>
    public static DatasetRequest Today => new(Now.AddDays(-1), Now.AddHours(1));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<DatasetBed> StartAsync(DatabaseProvider provider) => new(await TestStore.CreateAsync(provider, Ct));

    /// <summary>A subject born on <paramref name="born"/> who consented to <paramref name="purposes"/>.</summary>
    public async Task<Guid> NewSubjectAsync(DateOnly born, params string[] purposes)
    {
        var subject = VaultServices.NewSubject();
        await using var scope = Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        db.Subjects.Add(subject);
        await scope.ServiceProvider.GetRequiredService<PersonalDataVault>().WriteAsync(
            db, subject.Id, SubjectRegistration.BirthDateField, born.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), $"subject:{subject.Id}", Ct);
        foreach (var purpose in purposes)
        {
            await ConsentAsync(subject.Id, purpose, true);
        }

        return subject.Id;
    }

    public async Task ConsentAsync(Guid subjectId, string purpose, bool granted)
    {
        await using var scope = Services.CreateScope();
        var change = await scope.ServiceProvider.GetRequiredService<ConsentLedger>()
            .RecordAsync(subjectId, purpose, granted, ConsentMethod.Web, null, $"subject:{subjectId}", Ct);
        Assert.True(change.Recorded);
    }

    /// <summary>Sends events as the subject, through the real intake (which keeps only what the subject's consent allows).</summary>
    public async Task SendAsync(Guid subjectId, params EventInput[] events)
    {
        await using var scope = Services.CreateScope();
        var result = await scope.ServiceProvider.GetRequiredService<EventIntake>().RecordAsync(EventActor.Subject(subjectId), events, false, null, Ct);
        Assert.True(result.Valid);
    }

    public async Task LocateAsync(Guid subjectId, double latitude, double longitude)
    {
        await using var scope = Services.CreateScope();
        var recorded = await scope.ServiceProvider.GetRequiredService<LocationIntake>().RecordAsync(
            subjectId, new LocationReport(latitude, longitude, 10, LocationSource.Gps, PositioningOn: true, Time.GetUtcNow()), $"subject:{subjectId}", Ct);
        Assert.Equal(LocationRefusal.None, recorded.Refusal);
    }

    public static EventInput PageView(string page, int hoursAgo = 1) => new("page-view", "advertising", Now.AddHours(-hoursAgo), page);

    public static EventInput Click(string target, string page = "/domains", int hoursAgo = 1) => new("click", "advertising", Now.AddHours(-hoursAgo), page, target);

    public static EventInput Device(string model, int hoursAgo = 2) => new("device", "advertising", Now.AddHours(-hoursAgo), "/", null, [new("model", model)]);

    public async Task<(AdvertiserDataset Dataset, string Text)> DatasetAsync(string recipientId, DatasetRequest? request = null)
    {
        await using var scope = Services.CreateScope();
        using var output = new MemoryStream();
        var dataset = await scope.ServiceProvider.GetRequiredService<AdvertiserDatasets>().WriteAsync(recipientId, request ?? Today, output, Ct);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(output.ToArray()), dataset.Sha256);
        return (dataset, Encoding.UTF8.GetString(output.ToArray()));
    }

    public async Task<MeasurementReport> ReportAsync(DatasetRequest? request = null)
    {
        await using var scope = Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<AdMeasurement>().ReportAsync(request ?? Today, Ct);
    }

    public async Task<string> PseudonymAsync(string recipientId, Guid subjectId) =>
        await Services.Root.GetRequiredService<RecipientPseudonyms>().PseudonymAsync(recipientId, subjectId, Ct);

    public async Task<List<AuditEntry>> AuditAsync()
    {
        await using var db = Store.NewDataContext();
        return await db.AuditEntries.AsNoTracking().OrderBy(e => e.Sequence).ToListAsync(Ct);
    }

    public async Task<int> RecipientKeyCountAsync()
    {
        await using var keys = Store.NewKeyContext();
        return await keys.Set<RecipientKey>().CountAsync(Ct);
    }

    /// <summary>The data rows of a dataset, split into cells (the bed's values hold no commas or quotes).</summary>
    public static List<string[]> Rows(string text) =>
        [.. text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(','))];

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Store.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }
}
