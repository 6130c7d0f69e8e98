using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Konzen.Privacy.Host.Tests;

/// <summary>
/// The service in-process over the real pipeline, with embedded stores in a folder of its own;
/// tests that need other settings derive one with <see cref="With"/>.
/// </summary>
public sealed class KonzenFactory : WebApplicationFactory<Program>
{
    private readonly TempFolder data = new();

    public WebApplicationFactory<Program> With(string key, string value) =>
        WithWebHostBuilder(builder => builder.UseSetting(key, value));

    protected override void ConfigureWebHost(IWebHostBuilder builder) =>
        builder.UseSetting("Storage:DataDirectory", data.Path);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        data.Dispose();
    }
}
