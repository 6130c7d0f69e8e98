using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Konzen.Privacy.Host.Tests;

/// <summary>
/// A real `konzen` process listening on a free loopback port, as it is deployed: for tests that need
/// a real HTTP server (a browser) or several processes (nodes). Stopped with its whole process tree.
/// </summary>
public sealed class KonzenProcess : IAsyncDisposable
{
    private readonly Process process;

    private KonzenProcess(Process process, Uri address)
    {
        this.process = process;
        Http = new HttpClient { BaseAddress = address };
    }

    public HttpClient Http { get; }

    public Uri Address => Http.BaseAddress!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Starts `konzen` with these settings (<c>--Section:Key=value</c>) and waits until it answers /healthz.</summary>
    public static async Task<KonzenProcess> StartAsync(params string[] settings)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])[Path.Combine(AppContext.BaseDirectory, "konzen.dll"), "--urls", address.ToString(), .. settings])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var node = new KonzenProcess(process, address);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            Assert.False(process.HasExited, "konzen exited while starting");
            try
            {
                using var health = await node.Http.GetAsync("/healthz", deadline.Token);
                if (health.IsSuccessStatusCode)
                {
                    return node;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), deadline.Token);
        }
    }

    public async Task SignInAsync(string email)
    {
        using var session = await Http.PostAsJsonAsync("/api/v1/sessions", new { email, password = "correct horse battery", mode = "token" }, Cancel);
        var token = (await session.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("accessToken").GetString();
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public async Task<bool> AllowedAsync(string purpose, string category) =>
        (await Http.GetFromJsonAsync<JsonElement>($"/api/v1/me/decisions?purpose={purpose}&category={category}", Cancel)).GetProperty("allowed").GetBoolean();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
