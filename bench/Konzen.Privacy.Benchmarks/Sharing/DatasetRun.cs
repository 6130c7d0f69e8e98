using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Benchmarks.Sharing;

/// <summary>
/// The end-to-end advertiser dataset on embedded SQLite, in two processes (bench/dataset.sh runs both):
/// <c>dataset-seed --folder F [--subjects S] [--events N]</c> creates S consented adults (birth date,
/// data key, consent to personalized ads and location, one location point each, written in bulk) and
/// sends N advertising events for them through the real event intake; <c>dataset-run --folder F [--runs R]</c>,
/// a fresh process on the same stores, times <see cref="AdvertiserDatasets.WriteAsync"/> R times and reports
/// rows, suppressed rows, information loss, bytes and the process's peak working set.
/// </summary>
internal static class DatasetRun
{
    private const string Profiling = "marketing.advertising.profiling";

    public static async Task<int> MainAsync(string[] args)
    {
        var options = args.Skip(1).Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
        var folder = Directory.CreateDirectory(options["folder"]).FullName;
        await using var services = Services(folder);
        if (args[0] == "dataset-seed")
        {
            await SeedAsync(services, Int(options, "subjects", 20_000), Int(options, "events", 1_000_000));
        }
        else
        {
            await RunAsync(services, Int(options, "runs", 2));
        }

        return 0;
    }

    private static ServiceProvider Services(string folder)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:DataDirectory"] = folder })
            .Build();
        return new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddKonzenPrivacy().BuildServiceProvider();
    }

    private static async Task SeedAsync(ServiceProvider services, int subjects, int events)
    {
        var clock = Stopwatch.StartNew();
        await using (var scope = services.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<PrivacyDbContext>().Database.EnsureCreated();
            scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>().Database.EnsureCreated();
        }

        var policy = services.GetRequiredService<CompiledPolicy>();
        var master = services.GetRequiredService<MasterKeyRing>();
        var now = DateTimeOffset.UtcNow;
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var random = new Random(20261201);
        var ids = new Guid[subjects];
        var models = new string[subjects];
        const int Chunk = 2_000;
        for (var start = 0; start < subjects; start += Chunk)
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
            var keyStore = scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>();
            for (var i = start; i < Math.Min(subjects, start + Chunk); i++)
            {
                var (age, latitude, longitude, model) = SyntheticAdvertising.Subject(random);
                var id = ids[i] = Guid.NewGuid();
                models[i] = model;
                var key = RandomNumberGenerator.GetBytes(FieldCipher.KeySize);
                keyStore.Add(new SubjectKey { SubjectId = id, WrappedKey = master.Wrap(id, key, out var masterKeyId), MasterKeyId = masterKeyId, CreatedAt = now });
                db.Add(new Subject { Id = id, Region = "CN", CreatedAt = now, AcceptedPolicyHash = policy.Version.ContentHash });
                var born = today.AddYears(-age).AddDays(-random.Next(360));
                db.Add(new PersonalField
                {
                    SubjectId = id,
                    Field = SubjectRegistration.BirthDateField,
                    Ciphertext = FieldCipher.Encrypt(key, id, SubjectRegistration.BirthDateField, born.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                    UpdatedAt = now,
                });
                foreach (var purpose in new[] { Profiling, "functional.location" })
                {
                    db.Add(new ConsentEvent { SubjectId = id, PurposeKey = purpose, Granted = true, PolicyHash = policy.Version.ContentHash, Method = ConsentMethod.Web, At = now, ReceiptId = Guid.NewGuid(), Receipt = "seeded by the benchmark" });
                }

                var point = Guid.NewGuid();
                db.Add(new LocationPoint
                {
                    Id = point,
                    SubjectId = id,
                    RecordedAt = now.AddHours(-1),
                    ReceivedAt = now.AddHours(-1),
                    Source = LocationSource.Gps,
                    Accuracy = 10,
                    Coordinates = FieldCipher.Encrypt(key, id, LocationIntake.AadField(point), string.Create(CultureInfo.InvariantCulture, $"{latitude:R},{longitude:R}")),
                });
            }

            await keyStore.SaveChangesAsync();
            await db.SaveChangesAsync();
        }

        Console.WriteLine($"seeded {subjects:N0} subjects in {clock.Elapsed.TotalSeconds:F1} s");

        // The events go through the real intake: gate, pseudonym, sealing, the group-commit writer.
        var perSubject = events / subjects;
        var sent = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, subjects), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var local = new Random(i);
            var batch = new List<EventInput>(perSubject) { new("device", "advertising", now.AddDays(-29), "/", null, [new("model", models[i])]) };
            for (var e = 1; e < perSubject; e++)
            {
                var at = now.AddSeconds(-local.Next(29 * 24 * 3600));
                var page = SyntheticAdvertising.Pages[local.Next(SyntheticAdvertising.Pages.Length)];
                batch.Add(e % 3 == 0 ? new EventInput("click", "advertising", at, page, $"ad-{local.Next(50)}") : new EventInput("page-view", "advertising", at, page));
            }

            await using var scope = services.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<EventIntake>().RecordAsync(EventActor.Subject(ids[i]), batch, false, null, ct);
            if (result.Stored != batch.Count)
            {
                throw new InvalidOperationException($"the intake stored {result.Stored} of {batch.Count} events");
            }

            if (Interlocked.Add(ref sent, batch.Count) / 100_000 != (sent - batch.Count) / 100_000)
            {
                Console.WriteLine($"  {sent:N0} events after {clock.Elapsed.TotalSeconds:F1} s");
            }
        });
        Console.WriteLine($"seeded {sent:N0} advertising events in {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task RunAsync(ServiceProvider services, int runs)
    {
        var now = DateTimeOffset.UtcNow;
        var request = new DatasetRequest(now.AddDays(-30), now.AddHours(1));
        await EnsureRecipientAsync(services, now);
        for (var run = 1; run <= runs; run++)
        {
            await using var scope = services.CreateAsyncScope();
            var datasets = scope.ServiceProvider.GetRequiredService<AdvertiserDatasets>();
            await using var output = new CountingStream();
            using var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var dataset = await datasets.WriteAsync("bench-advertiser", request, output);
            clock.Stop();

            // What the HTTP endpoint does next: the gate checks every subject again and records the disclosure.
            var gateClock = Stopwatch.StartNew();
            var decision = await scope.ServiceProvider.GetRequiredService<DisclosureGate>().DiscloseAsync(new DisclosureRequest(
                "bench-advertiser", DisclosureBasis.DeIdentified, dataset.Purpose, dataset.Categories, dataset.SubjectIds, dataset.Sha256, dataset.Result.K, Actor: "bench"));
            gateClock.Stop();
            process.Refresh();
            cpu = process.TotalProcessorTime - cpu;
            var result = dataset.Result;
            Console.WriteLine(
                $"run {run}: {clock.Elapsed.TotalSeconds:F2} s ({cpu.TotalSeconds:F2} s of CPU), {result.Rows:N0} rows, {result.Suppressed:N0} suppressed ({(double)result.Suppressed / Math.Max(1, result.Rows):P2}), " +
                $"information loss {result.InformationLoss:F4}, levels [{string.Join(", ", result.Levels)}] (age, location, time, device), " +
                $"{dataset.SubjectIds.Count:N0} subjects, {output.Length / 1048576.0:F1} MiB written, peak working set {process.PeakWorkingSet64 / 1048576.0:F0} MiB, " +
                $"GC heap {GC.GetGCMemoryInfo().HeapSizeBytes / 1048576.0:F0} MiB, allocated {GC.GetTotalAllocatedBytes() / 1048576.0:F0} MiB in total; " +
                $"then the disclosure gate {(decision.Allowed ? "recorded it" : $"refused it ({decision.Refusal})")} in {gateClock.Elapsed.TotalSeconds:F2} s");
        }
    }

    /// <summary>The advertiser the runs disclose to, with an agreement valid for the runs; created by the first run on a folder.</summary>
    private static async Task EnsureRecipientAsync(ServiceProvider services, DateTimeOffset now)
    {
        await using var scope = services.CreateAsyncScope();
        var recipients = scope.ServiceProvider.GetRequiredService<Recipients>();
        if (await recipients.FindAsync("bench-advertiser") is not null)
        {
            return;
        }

        var advertisers = scope.ServiceProvider.GetRequiredService<CompiledPolicy>().Document.Sharing.Recipients.Single(r => r.Key == "advertisers");
        var (saved, _) = await recipients.SaveAsync("bench-advertiser",
            new RecipientDraft("Bench Advertiser", RecipientKind.Advertiser, advertisers.Key, "CN", [.. advertisers.Categories], [.. advertisers.Purposes], null), "bench");
        var agreement = await recipients.AddAgreementAsync("bench-advertiser",
            new AgreementDraft(RecipientAgreement.DataProcessingAgreement, "DPA-BENCH", now.AddDays(-1), now.AddDays(30)), "bench");
        if (!saved.Succeeded || !agreement.Succeeded)
        {
            throw new InvalidOperationException($"The bench recipient was refused: {saved.Detail} {agreement.Detail}");
        }
    }

    private static int Int(Dictionary<string, string> options, string name, int fallback) =>
        options.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    /// <summary>A sink that counts bytes, so the run measures building the file, not a disk.</summary>
    private sealed class CountingStream : Stream
    {
        private long length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => length;

        public override long Position { get => length; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => length += count;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            length += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }
}
