using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Konzen.Privacy.Load;

/// <summary>
/// Load for a running <c>konzen</c> over loopback, in two steps (bench/load.sh runs both):
/// <c>register --url U --phone P</c> starts a registration and prints its id; the code then comes
/// from the service's SMS outbox (<c>konzen sms outbox</c>), as it would for a person.
/// <c>run --url U --registration ID --phone P --code C [--connections N] [--seconds S]</c> verifies,
/// signs in, consents to analytics and location as that subject would in the privacy center, then
/// posts batches of 1,000 events from N connections for S seconds and reports the events stored per
/// second (from the answers' <c>stored</c>), then location intake latency (p50, p99).
/// bench/export.sh uses <c>seed</c> (the same sign-up, then N events for the subject) and, against a
/// restarted server, <c>export</c> (sign in, stream GET /api/v1/me/data, report time, bytes and the
/// server process's peak resident memory).
/// </summary>
internal static class Program
{
    private const string Password = "load test password 1";

    public static async Task<int> Main(string[] args)
    {
        var options = Options(args.Skip(1));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, UseCookies = false })
        {
            BaseAddress = new Uri(options.GetValueOrDefault("url", "http://127.0.0.1:5080")),
            Timeout = TimeSpan.FromMinutes(2),
        };
        switch (args.FirstOrDefault())
        {
            case "register":
                Console.WriteLine(await RegisterAsync(http, options["phone"]));
                return 0;
            case "run":
                var token = await SignInAsync(http, options["registration"], options["phone"], options["code"]);
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
                await ConsentAsync(http, "analytics.reporting");
                await ConsentAsync(http, "functional.location");
                var connections = int.Parse(options.GetValueOrDefault("connections", "4"), CultureInfo.InvariantCulture);
                var seconds = int.Parse(options.GetValueOrDefault("seconds", "20"), CultureInfo.InvariantCulture);
                await EventsAsync(http, connections, TimeSpan.FromSeconds(seconds));
                await LocationsAsync(http, int.Parse(options.GetValueOrDefault("locations", "2000"), CultureInfo.InvariantCulture));
                return 0;
            case "seed":
                var subjectToken = await SignInAsync(http, options["registration"], options["phone"], options["code"]);
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", subjectToken);
                await ConsentAsync(http, "analytics.reporting");
                await SeedAsync(http, int.Parse(options.GetValueOrDefault("events", "1000000"), CultureInfo.InvariantCulture), int.Parse(options.GetValueOrDefault("connections", "4"), CultureInfo.InvariantCulture));
                return 0;
            case "export":
                // A fresh sign-in: the export needs a recent one, and this may be a restarted server.
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await SessionAsync(http, options["phone"]));
                var pid = int.Parse(options["pid"], CultureInfo.InvariantCulture);
                for (var run = 1; run <= int.Parse(options.GetValueOrDefault("runs", "2"), CultureInfo.InvariantCulture); run++)
                {
                    Console.WriteLine($"export run {run}:");
                    await ExportAsync(http, pid);
                }

                return 0;
            default:
                await Console.Error.WriteLineAsync("usage: register --url U --phone P | run --url U --registration ID --phone P --code C [--connections N] [--seconds S] [--locations N] | seed --url U --registration ID --phone P --code C [--events N] [--connections N] | export --url U --phone P --pid SERVER_PID [--runs N]");
                return 2;
        }
    }

    private static Dictionary<string, string> Options(IEnumerable<string> args)
    {
        var list = args.ToList();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < list.Count; i += 2)
        {
            options[list[i].TrimStart('-')] = list[i + 1];
        }

        return options;
    }

    private static async Task<string> RegisterAsync(HttpClient http, string phone)
    {
        var policy = await http.GetFromJsonAsync<JsonElement>("/api/v1/policy");
        var hash = policy.GetProperty("version").GetProperty("contentHash").GetString();
        using var response = await http.PostAsJsonAsync("/api/v1/registrations", new { phone, password = Password, birthDate = "1990-05-17", acceptedPolicyHash = hash });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("registrationId").GetString()!;
    }

    private static async Task<string> SignInAsync(HttpClient http, string registration, string phone, string code)
    {
        using (var verified = await http.PostAsJsonAsync($"/api/v1/registrations/{registration}/verify", new { channel = "phone", code }))
        {
            verified.EnsureSuccessStatusCode();
        }

        return await SessionAsync(http, phone);
    }

    private static async Task<string> SessionAsync(HttpClient http, string phone)
    {
        using var session = await http.PostAsJsonAsync("/api/v1/sessions", new { phone, password = Password, mode = "token" });
        session.EnsureSuccessStatusCode();
        return (await session.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }

    private static async Task ConsentAsync(HttpClient http, string purpose)
    {
        using var response = await http.PutAsJsonAsync($"/api/v1/me/consents/{purpose}", new { granted = true });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>One body, built once: 1,000 events a page might send (page views, clicks, device), half for analytics, half for security.</summary>
    private static byte[] Batch()
    {
        var at = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var text = new StringBuilder("{\"events\":[");
        for (var i = 0; i < 1000; i++)
        {
            var (type, purpose) = (i % 4) switch
            {
                0 => ("page-view", "analytics"),
                1 => ("click", "analytics"),
                2 => ("click", "security"),
                _ => ("device", "security"),
            };
            text.Append(CultureInfo.InvariantCulture,
                $"{(i == 0 ? "" : ",")}{{\"type\":\"{type}\",\"purpose\":\"{purpose}\",\"at\":\"{at}\",\"page\":\"/domains/search?q=example{i % 50}.com\",\"target\":\"result-{i % 10}\",\"data\":{{\"lang\":\"zh-CN\",\"screen\":\"1920x1080\"}}}}");
        }

        return Encoding.UTF8.GetBytes(text.Append("]}").ToString());
    }

    private static async Task EventsAsync(HttpClient http, int connections, TimeSpan duration)
    {
        var body = Batch();
        Console.WriteLine($"events: {connections} connections, {duration.TotalSeconds:0} s, batches of 1,000 events ({body.Length / 1024} KiB)");

        // A short warm-up, so the figure is the service's steady state, not its JIT.
        await PostLoopAsync(http, body, connections, TimeSpan.FromSeconds(3));
        var watch = Stopwatch.StartNew();
        var (stored, requests, failures) = await PostLoopAsync(http, body, connections, duration);
        var elapsed = watch.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"events stored: {stored:N0} in {elapsed:0.0} s = {stored / elapsed:N0} events/s ({requests:N0} requests, {failures} failed)"));
    }

    private static async Task<(long Stored, long Requests, long Failures)> PostLoopAsync(HttpClient http, byte[] body, int connections, TimeSpan duration)
    {
        long stored = 0, requests = 0, failures = 0;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < end)
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync("/api/v1/events", content);
                Interlocked.Increment(ref requests);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref failures);
                    continue;
                }

                using var answer = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());
                Interlocked.Add(ref stored, answer.RootElement.GetProperty("stored").GetInt64());
            }
        })));
        return (stored, requests, failures);
    }

    /// <summary>Posts the prepared 1,000-event body until <paramref name="count"/> events are stored for the subject.</summary>
    private static async Task SeedAsync(HttpClient http, int count, int connections)
    {
        var body = Batch();
        var batches = (count + 999) / 1000;
        var next = 0;
        long stored = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= batches)
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync("/api/v1/events", content);
                response.EnsureSuccessStatusCode();
                using var answer = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());
                Interlocked.Add(ref stored, answer.RootElement.GetProperty("stored").GetInt64());
            }
        })));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeded: {stored:N0} events stored for one subject in {watch.Elapsed.TotalSeconds:0.0} s"));
    }

    /// <summary>
    /// GET /api/v1/me/data as the subject gets it, read to the end and thrown away. The server's peak
    /// resident memory (VmHWM) is reset just before the request (Linux <c>clear_refs</c> 5), so the figure
    /// is the export's own peak, which includes whatever the process already held after seeding.
    /// </summary>
    private static async Task ExportAsync(HttpClient http, int pid)
    {
        var reset = TryResetPeak(pid);
        var before = Status(pid, "VmRSS:");
        var buffer = new byte[64 * 1024];
        long bytes = 0;
        var watch = Stopwatch.StartNew();
        using var response = await http.GetAsync("/api/v1/me/data", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        var firstByte = watch.Elapsed.TotalMilliseconds;
        await using (var body = await response.Content.ReadAsStreamAsync())
        {
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                bytes += read;
            }
        }

        var elapsed = watch.Elapsed.TotalSeconds;
        var peak = Status(pid, "VmHWM:");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"export: {bytes:N0} bytes ({bytes / 1048576.0:0.0} MiB) in {elapsed:0.00} s, headers after {firstByte:0} ms, {bytes / 1048576.0 / elapsed:0.0} MiB/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"server memory: resident {before / 1024.0:0} MiB before the export, peak resident during it {peak / 1024.0:0} MiB ({(reset ? "peak reset before the request" : "peak NOT reset: includes seeding")})"));
    }

    private static bool TryResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // A /proc/PID/status line in kB.
    private static long Status(int pid, string key) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith(key, StringComparison.Ordinal))
            .Select(l => long.Parse(l[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture)).FirstOrDefault();

    private static async Task LocationsAsync(HttpClient http, int count)
    {
        var latencies = new List<double>(count);
        var failures = 0;
        for (var i = 0; i < count + 50; i++)
        {
            var report = new { latitude = 31.2304 + (i % 100 * 0.0001), longitude = 121.4737, accuracy = 15.0, source = "gps", positioning = "on", time = DateTimeOffset.UtcNow };
            var started = Stopwatch.GetTimestamp();
            using var response = await http.PostAsJsonAsync("/api/v1/me/locations", report);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (response.StatusCode != HttpStatusCode.Created)
            {
                failures++;
            }
            else if (i >= 50)
            {
                // The first 50 warm the path up and are not counted.
                latencies.Add(elapsed);
            }
        }

        latencies.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"location intake: {latencies.Count} sequential requests, p50 {Percentile(latencies, 0.50):0.00} ms, p99 {Percentile(latencies, 0.99):0.00} ms ({failures} failed)"));
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
