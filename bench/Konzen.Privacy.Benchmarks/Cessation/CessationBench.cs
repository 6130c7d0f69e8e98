using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Konzen.Privacy.Cessation;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Rights;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Benchmarks.Cessation;

/// <summary>
/// The end of the service on embedded SQLite, once, end to end: <c>cessation-run [--subjects N]</c>
/// seeds N subjects in bulk (a data key each in the key store, email address, phone number and birth
/// date sealed in the vault, one location point and one banner visitor for every tenth, a consent each, a
/// request for every hundredth), then times the announcement
/// (<see cref="Cessations.AnnounceAsync"/> for today, which queues the notice for everyone) and the
/// end itself (<see cref="Cessations.RunAsync"/>: every key destroyed, the personal rows deleted, the
/// report stored), and prints both with the report's counts. One measured run: it is minutes of work
/// on a store that it destroys, which BenchmarkDotNet's repeated iterations would only multiply.
/// </summary>
internal static class CessationBench
{
    public static async Task<int> MainAsync(string[] args)
    {
        var options = args.Skip(1).Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
        var subjects = options.TryGetValue("subjects", out var n) ? int.Parse(n, CultureInfo.InvariantCulture) : 100_000;
        using var store = BenchStore.Create();
        var clock = Stopwatch.StartNew();
        await SeedAsync(store.Services, subjects);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeded {subjects} subjects in {clock.Elapsed.TotalSeconds:F1} s"));

        clock.Restart();
        CessationAnnouncement announced;
        await using (var scope = store.Services.CreateAsyncScope())
        {
            announced = await scope.ServiceProvider.GetRequiredService<Cessations>().AnnounceAsync(DateOnly.FromDateTime(DateTime.UtcNow), "staff:bench", CancellationToken.None);
        }

        var announce = clock.Elapsed;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"announced: notice queued for {announced.Notified} subjects in {announce.TotalSeconds:F1} s"));

        clock.Restart();
        CessationRun run;
        await using (var scope = store.Services.CreateAsyncScope())
        {
            run = await scope.ServiceProvider.GetRequiredService<Cessations>().RunAsync("staff:bench", CancellationToken.None);
        }

        var end = clock.Elapsed;
        var r = run.Report!;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ended ({run.Outcome}) in {end.TotalSeconds:F1} s: {r.KeysDestroyed} keys destroyed; deleted {string.Join(", ", r.RowsDeleted.Where(d => d.Value > 0).Select(d => $"{d.Key} {d.Value}"))}; kept anonymized {string.Join(", ", r.RowsAnonymized.Where(a => a.Value > 0).Select(a => $"{a.Key} {a.Value}"))}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"announcement and end together: {(announce + end).TotalSeconds:F1} s"));
        return run.Outcome == CessationRunOutcome.Completed && r.KeysDestroyed == subjects ? 0 : 1;
    }

    internal static async Task SeedAsync(IServiceProvider services, int subjects)
    {
        var master = services.GetRequiredService<MasterKeyRing>();
        var now = DateTimeOffset.UtcNow.AddDays(-30);
        const int Chunk = 10_000;
        for (var start = 0; start < subjects; start += Chunk)
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
            var keyStore = scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>();
            var rows = new List<Subject>(Chunk);
            var fields = new List<PersonalField>(Chunk * 3);
            var points = new List<LocationPoint>(Chunk / 10);
            var consents = new List<ConsentEvent>(Chunk);
            var visitors = new List<Visitor>(Chunk / 10);
            var requests = new List<PrivacyRequest>(Chunk / 100);
            for (var i = start; i < Math.Min(subjects, start + Chunk); i++)
            {
                var id = Guid.NewGuid();
                var key = RandomNumberGenerator.GetBytes(FieldCipher.KeySize);
                keyStore.SubjectKeys.Add(new SubjectKey { SubjectId = id, WrappedKey = master.Wrap(id, key, out var masterKeyId), MasterKeyId = masterKeyId, CreatedAt = now });
                rows.Add(new Subject { Id = id, Region = "CN", CreatedAt = now, AcceptedPolicyHash = "bench", EmailIndex = RandomNumberGenerator.GetBytes(32), PhoneIndex = RandomNumberGenerator.GetBytes(32) });
                fields.Add(Field(key, id, PersonalDataVault.EmailField, $"subject{i}@example.cn", now));
                fields.Add(Field(key, id, PersonalDataVault.PhoneField, $"+86138{i:00000000}", now));
                fields.Add(Field(key, id, SubjectRegistration.BirthDateField, "1990-05-17", now));
                // One consent with its connection's keyed hash each (the end removes the hash), a request for every
                // hundredth subject (the end removes its text) and a banner visitor for every tenth (the end deletes it).
                consents.Add(new ConsentEvent
                {
                    Id = i + 1L, SubjectId = id, Kind = ConsentEventKind.Consent, PurposeKey = "analytics.reporting", Granted = true, PolicyHash = "bench",
                    Method = ConsentMethod.Web, At = now, EvidenceHash = RandomNumberGenerator.GetBytes(32), ReceiptId = Guid.NewGuid(), Receipt = "bench",
                });
                if (i % 100 == 0)
                {
                    requests.Add(new PrivacyRequest
                    {
                        Id = Guid.NewGuid(), SubjectId = id, Kind = RequestKind.Access, Status = RequestStatus.Received, Channel = "email",
                        CreatedAt = now, DueAt = now.AddDays(21), Text = FieldCipher.Encrypt(key, id, "privacy_requests/text", "Please send me my data."),
                    });
                }

                if (i % 10 == 0)
                {
                    visitors.Add(new Visitor { Id = Guid.NewGuid(), Region = "CN", CreatedAt = now });
                    var pointId = Guid.NewGuid();
                    points.Add(new LocationPoint
                    {
                        Id = pointId, SubjectId = id, RecordedAt = now, ReceivedAt = now, Source = LocationSource.Gps, Accuracy = 10,
                        Coordinates = FieldCipher.Encrypt(key, id, $"location_points/{pointId:N}", "31.2304,121.4737"),
                    });
                }
            }

            await keyStore.SaveChangesAsync();
            await using var transaction = await db.Database.BeginTransactionAsync();
            await BulkInsert.InsertAsync(db, rows, CancellationToken.None);
            await BulkInsert.InsertAsync(db, fields, CancellationToken.None);
            await BulkInsert.InsertAsync(db, points, CancellationToken.None);
            await BulkInsert.InsertAsync(db, consents, CancellationToken.None);
            await BulkInsert.InsertAsync(db, visitors, CancellationToken.None);
            await BulkInsert.InsertAsync(db, requests, CancellationToken.None);
            await transaction.CommitAsync();
        }
    }

    private static PersonalField Field(byte[] key, Guid id, string field, string value, DateTimeOffset at) =>
        new() { SubjectId = id, Field = field, Ciphertext = FieldCipher.Encrypt(key, id, field, value), UpdatedAt = at };
}
