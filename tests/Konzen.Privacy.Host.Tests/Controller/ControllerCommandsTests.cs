using System.Net.Http.Json;
using System.Text.Json;
using Konzen.Privacy.Controller;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Host.Tests.Controller;

public sealed class ControllerCommandsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.5")]
    public async Task ControllerTransfer_TwiceFromTheCli_TheServiceNamesTheLastControllerUnderTheSamePolicy(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        using var folder = new TempFolder();
        await using (var db = store.NewDataContext())
        {
            db.AddRange(VaultServices.NewSubject(), VaultServices.NewSubject(), VaultServices.NewSubject());
            await db.SaveChangesAsync(Cancel);
        }


        var first = await Cli.RunOnAsync(store, folder.Path, "controller", "transfer", "--to", "Acme Domains Ltd", "--effective", "2026-01-01");
        var same = await Cli.RunOnAsync(store, folder.Path, "controller", "transfer", "--to", "Acme Domains Ltd");
        var early = await Cli.RunOnAsync(store, folder.Path, "controller", "transfer", "--to", "Zenith Registry Co", "--effective", "2025-12-31");
        var second = await Cli.RunOnAsync(store, folder.Path, "controller", "transfer", "--to", "Zenith Registry Co");

        Assert.Equal((0, ""), (first.Exit, first.Error));
        Assert.StartsWith("controller transferred from Konzen to Acme Domains Ltd, effective 2026-01-01 00:00:00Z; bound to policy ", first.Output, StringComparison.Ordinal);
        Assert.EndsWith("notice queued for 3 subjects\n", first.Output, StringComparison.Ordinal);
        Assert.Equal((1, ""), (same.Exit, same.Output));
        Assert.Contains("current controller already", same.Error, StringComparison.Ordinal);
        Assert.Equal((1, ""), (early.Exit, early.Output));
        Assert.Contains("before the last transfer", early.Error, StringComparison.Ordinal);
        Assert.Equal((0, ""), (second.Exit, second.Error));
        Assert.StartsWith("controller transferred from Acme Domains Ltd to Zenith Registry Co", second.Output, StringComparison.Ordinal);

        await using (var db = store.NewDataContext())
        {
            Assert.Equal(2, await db.Set<ControllerTransfer>().CountAsync(Cancel));
            Assert.Equal(6, await db.Set<Notification>().CountAsync(n => n.Channel == NotificationChannel.InApp, Cancel));
        }

        await using var factory = new KonzenFactory();
        await using var app = factory.WithWebHostBuilder(builder =>
        {
            foreach (var (key, value) in store.HostSettings)
            {
                builder.UseSetting(key, value);
            }

            builder.UseSetting("Storage:DataDirectory", folder.Path);
        });
        using var client = app.CreateClient();
        var controller = await client.GetFromJsonAsync<JsonElement>("/api/v1/controller", Cancel);
        var policy = await client.GetFromJsonAsync<JsonElement>("/api/v1/policy", Cancel);

        Assert.Equal("Zenith Registry Co", controller.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, controller.GetProperty("upcoming").ValueKind);
        var hash = policy.GetProperty("version").GetProperty("contentHash").GetString();
        Assert.Equal(hash, controller.GetProperty("policyHash").GetString());
        var transfers = controller.GetProperty("transfers").EnumerateArray().ToList();
        Assert.Equal([("Konzen", "Acme Domains Ltd"), ("Acme Domains Ltd", "Zenith Registry Co")], transfers.Select(t => (t.GetProperty("from").GetString(), t.GetProperty("to").GetString())));
        Assert.All(transfers, t => Assert.Equal(hash, t.GetProperty("policyHash").GetString()));
        Assert.All(transfers, t => Assert.False(t.TryGetProperty("actor", out _)));
    }
}
