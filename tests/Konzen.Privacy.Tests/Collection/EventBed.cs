using System.Data.Common;
using System.Globalization;
using System.Net;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Konzen.Privacy.Tests.Collection;

/// <summary>Event intake's real services over one test's stores, on a fake clock.</summary>
internal sealed class EventBed : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly string folder = Directory.CreateTempSubdirectory("konzen-events-").FullName;

    private EventBed(TestStore store)
    {
        Store = store;
        Time = new FakeTimeProvider(Start);
        Services = new VaultServices(store, folder, Time);
    }

    public TestStore Store { get; }

    public FakeTimeProvider Time { get; }

    public VaultServices Services { get; }

    /// <summary>The key files' folder; a second <see cref="VaultServices"/> over it and the store is a restarted process.</summary>
    public string Folder => folder;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<EventBed> StartAsync(DatabaseProvider provider) => new(await TestStore.CreateAsync(provider, Ct));

    public async Task<Guid> NewSubjectAsync(params string[] consented)
    {
        var subject = VaultServices.NewSubject();
        await using (var db = Store.NewDataContext())
        {
            db.Subjects.Add(subject);
            await db.SaveChangesAsync(Ct);
        }

        foreach (var purpose in consented)
        {
            await using var scope = Services.CreateScope();
            var change = await scope.ServiceProvider.GetRequiredService<ConsentLedger>()
                .RecordAsync(subject.Id, purpose, true, ConsentMethod.Web, null, $"subject:{subject.Id}", Ct);
            Assert.True(change.Recorded);
        }

        return subject.Id;
    }

    public async Task<EventIntakeResult> RecordAsync(EventActor actor, IReadOnlyList<EventInput> events, bool gpc = false, IPAddress? address = null, VaultServices? services = null)
    {
        await using var scope = (services ?? Services).CreateScope();
        return await scope.ServiceProvider.GetRequiredService<EventIntake>().RecordAsync(actor, events, gpc, address, Ct);
    }

    /// <summary>An event of each purpose alias for each type, dated now.</summary>
    public List<EventInput> EveryKind(string page = "/domains")
    {
        var events = new List<EventInput>();
        foreach (var type in EventVocabulary.Types)
        {
            foreach (var purpose in EventVocabulary.Purposes)
            {
                events.Add(new EventInput(type.Key, purpose.Key, Time.GetUtcNow(), page));
            }
        }

        return events;
    }

    public EventInput Event(string type = "click", string purpose = "security", string? page = "/domains", DateTimeOffset? at = null) =>
        new(type, purpose, at ?? Time.GetUtcNow(), page, "result-1", [new("lang", "en")]);

    public async Task<List<LogEvent>> EventsAsync()
    {
        await using var db = Store.NewDataContext();
        return await db.Set<LogEvent>().AsNoTracking().OrderBy(e => e.Id).ToListAsync(Ct);
    }

    public async Task<Dictionary<string, int>> StoredByPurposeAsync()
    {
        await using var db = Store.NewDataContext();
        return await db.Set<LogEvent>().GroupBy(e => e.Purpose).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, Ct);
    }

    public async Task<int> AuditCountAsync()
    {
        await using var db = Store.NewDataContext();
        return await db.AuditEntries.CountAsync(Ct);
    }

    /// <summary>Every row of the event tables and of both stores' other tables, as text, the way a copy of the database shows it.</summary>
    public async Task<List<string>> RawRowsAsync()
    {
        var rows = new List<string>();
        await using var db = Store.NewDataContext();
        await using var keys = Store.NewKeyContext();
        foreach (var context in new DbContext[] { db, keys })
        {
            var connection = context.Database.GetDbConnection();
            await connection.OpenAsync(Ct);
            foreach (var table in await TablesAsync(connection))
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT * FROM \"{table}\"";
                await using var reader = await command.ExecuteReaderAsync(Ct);
                while (await reader.ReadAsync(Ct))
                {
                    var values = new object[reader.FieldCount];
                    reader.GetValues(values);
                    rows.Add($"{table}: " + string.Join('|', values.Select(v => v is byte[] bytes ? Convert.ToHexString(bytes) : Convert.ToString(v, CultureInfo.InvariantCulture))));
                }
            }
        }

        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Store.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    private static async Task<List<string>> TablesAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = connection.GetType().Name.StartsWith("Sqlite", StringComparison.Ordinal)
            ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            : "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'";
        var tables = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }
}
