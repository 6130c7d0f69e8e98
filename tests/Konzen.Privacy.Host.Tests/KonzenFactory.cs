using Microsoft.AspNetCore.Mvc.Testing;

namespace Konzen.Privacy.Host.Tests;

/// <summary>The service in-process over the real pipeline; tests that need other settings derive one with <see cref="With"/>.</summary>
public sealed class KonzenFactory : WebApplicationFactory<Program>
{
    public WebApplicationFactory<Program> With(string key, string value) =>
        WithWebHostBuilder(builder => builder.UseSetting(key, value));
}
