using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Host.Tests.Collection;

/// <summary>A real konzen process killed while batches are in flight: every event it acknowledged is in the store.</summary>
public sealed class EventsCrashTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task PostEvents_ProcessKilledUnderLoad_NoAcknowledgedEventIsLost(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        using var keys = new TempFolder();
        var node = await KonzenProcess.StartAsync(
            $"--Storage:Database={store.DatabaseConnectionString}", $"--Storage:KeyStore={store.KeyStoreConnectionString}", $"--Storage:DataDirectory={keys.Path}");
        var at = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        var body = new { events = Enumerable.Range(0, 200).Select(i => new { type = "click", purpose = "security", at, page = $"/p{i}" }).ToArray() };
        long acknowledged = 0;
        using var enough = new SemaphoreSlim(0);

        var senders = Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    using var response = await node.Http.PostAsJsonAsync("/api/v1/events", body, Cancel);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        return;
                    }

                    var stored = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("stored").GetInt64();
                    if (Interlocked.Add(ref acknowledged, stored) >= 4000)
                    {
                        enough.Release();
                    }
                }
                catch (Exception e) when (e is HttpRequestException or IOException or ObjectDisposedException or TaskCanceledException)
                {
                    // The process is gone: what was in flight was never acknowledged.
                    return;
                }
            }
        }, Cancel)).ToList();

        await enough.WaitAsync(TimeSpan.FromSeconds(60), Cancel);

        // SIGKILL, in the middle of the stream: no shutdown, no flush, like a crash.
        await node.DisposeAsync();
        await Task.WhenAll(senders);
        var confirmed = Interlocked.Read(ref acknowledged);

        await using var db = store.NewDataContext();
        var rows = await db.Database.SqlQueryRaw<long>("SELECT count(*) AS \"Value\" FROM log_events").SingleAsync(Cancel);
        Assert.True(confirmed >= 4000, $"the test should have seen at least 4000 acknowledged events, saw {confirmed}");
        Assert.True(rows >= confirmed, $"{confirmed} events were acknowledged but only {rows} are stored");
    }
}
