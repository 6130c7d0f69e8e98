using System.Diagnostics;
using System.Globalization;
using Konzen.Privacy.Incidents;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Benchmarks.Incidents;

/// <summary>
/// A security incident on embedded SQLite, once, end to end: <c>incident-run [--subjects N] [--one-at-a-time M]</c>
/// seeds N subjects as <c>cessation-run</c> does (each with a sealed email address), then times
/// <see cref="SecurityIncidents.RecordAsync"/> for an incident whose window and category (email addresses
/// in the database) reach every one of them: the search, the incident and its subject links, the notice
/// queued in bulk for all N, and the officer's mail (sent to a closed port, so it fails fast and is
/// recorded as not reached). It then times the notice alone once more,
/// <see cref="NotificationOutbox.EnqueueForManyAsync"/> for the same N subjects, to show its share; with
/// <c>--one-at-a-time M</c>, M more notices queued the way incidents did before, one
/// <see cref="NotificationOutbox.EnqueueAsync"/> per subject, for comparison.
/// One measured run: the seeding is most of the work, which BenchmarkDotNet's iterations would multiply.
/// </summary>
internal static class IncidentBench
{
    // The notice's values as an incident fills them in, for the runs that queue it directly.
    private static readonly Dictionary<string, string> Values = new(StringComparer.Ordinal)
    {
        ["occurredFrom"] = "2026-11-27", ["occurredTo"] = "2026-11-29", ["detected"] = "2026-11-29", ["categories"] = "email address",
        ["categoriesZh"] = "电子邮件地址", ["cause"] = "Benchmark.", ["measures"] = "Benchmark.", ["contact"] = "privacy@konzen.example",
    };

    public static async Task<int> MainAsync(string[] args)
    {
        var options = args.Skip(1).Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
        var subjects = options.TryGetValue("subjects", out var n) ? int.Parse(n, CultureInfo.InvariantCulture) : 100_000;
        var oneAtATime = options.TryGetValue("one-at-a-time", out var m) ? int.Parse(m, CultureInfo.InvariantCulture) : 0;
        using var store = BenchStore.Create(new Dictionary<string, string?>
        {
            ["Email:Host"] = "127.0.0.1",
            ["Email:Port"] = ClosedPort().ToString(CultureInfo.InvariantCulture),
        });
        var clock = Stopwatch.StartNew();
        await Cessation.CessationBench.SeedAsync(store.Services, subjects);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeded {subjects} subjects in {clock.Elapsed.TotalSeconds:F1} s"));

        var now = DateTimeOffset.UtcNow;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        clock.Restart();
        IncidentRecorded recorded;
        await using (var scope = store.Services.CreateAsyncScope())
        {
            recorded = await scope.ServiceProvider.GetRequiredService<SecurityIncidents>().RecordAsync(new IncidentInput(
                DetectedAt: now.AddHours(-1), OccurredFrom: now.AddDays(-2), OccurredTo: now.AddHours(-2),
                Categories: ["user.contact.email"], Stores: [SecurityIncidents.DatabaseStore],
                Cause: "Benchmark: a mailing-list export left in a public bucket.", Measures: "Benchmark: the bucket was closed."),
                "staff:bench", CancellationToken.None);
        }

        var elapsed = clock.Elapsed;
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var report = recorded.Report!;
        int rows;
        await using (var scope = store.Services.CreateAsyncScope())
        {
            rows = await scope.ServiceProvider.GetRequiredService<PrivacyDbContext>().Set<Notification>().CountAsync();
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"incident recorded in {elapsed.TotalSeconds:F2} s ({cpuUsed.TotalSeconds:F2} s CPU): {report.SubjectsAffected} subjects affected, notice queued for {report.SubjectsNotified} ({rows} notification rows); officer {report.OfficerError ?? "mailed"}"));

        await ManyAsync(store.Services, recorded);
        if (oneAtATime > 0)
        {
            await OneAtATimeAsync(store.Services, oneAtATime, recorded);
        }

        return report.SubjectsAffected == subjects && report.SubjectsNotified == subjects && rows == 2 * subjects ? 0 : 1;
    }

    private static async Task ManyAsync(IServiceProvider services, IncidentRecorded recorded)
    {
        await using var scope = services.CreateAsyncScope();
        var ids = await scope.ServiceProvider.GetRequiredService<SecurityIncidents>().SubjectsAsync(recorded.Report!.Id);
        var clock = Stopwatch.StartNew();
        var reached = await scope.ServiceProvider.GetRequiredService<NotificationOutbox>().EnqueueForManyAsync(ids, NotificationTemplates.SecurityIncident, Values);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"the notice alone again (EnqueueForManyAsync): {reached} subjects in {clock.Elapsed.TotalSeconds:F2} s"));
    }

    // The way incidents queued their notices before: one EnqueueAsync, and so one transaction, per subject.
    private static async Task OneAtATimeAsync(IServiceProvider services, int count, IncidentRecorded recorded)
    {
        await using var scope = services.CreateAsyncScope();
        var incidents = scope.ServiceProvider.GetRequiredService<SecurityIncidents>();
        var outbox = scope.ServiceProvider.GetRequiredService<NotificationOutbox>();
        var ids = (await incidents.SubjectsAsync(recorded.Report!.Id)).Take(count).ToList();
        var clock = Stopwatch.StartNew();
        foreach (var id in ids)
        {
            await outbox.EnqueueAsync(id, NotificationTemplates.SecurityIncident, Values);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"one at a time, as before: {ids.Count} subjects in {clock.Elapsed.TotalSeconds:F2} s ({clock.Elapsed.TotalMilliseconds / ids.Count:F2} ms a subject)"));
    }

    private static int ClosedPort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }
}
