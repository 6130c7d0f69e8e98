using System.Data.Common;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Konzen.Privacy.Host.Tests.Subjects;

/// <summary>
/// The service over a test store, with a real SMTP server for mail, a fake clock and every log line
/// captured; plus the helpers the registration tests share.
/// </summary>
internal sealed partial class SubjectsHost : IAsyncDisposable
{
    private readonly KonzenFactory factory;
    private readonly TempFolder keys = new();

    private SubjectsHost(TestStore store, KonzenFactory factory, TestSmtpServer smtp, FakeTimeProvider time, CapturedLogs logs)
    {
        Store = store;
        this.factory = factory;
        Smtp = smtp;
        Time = time;
        Logs = logs;
    }

    public TestStore Store { get; }

    public WebApplicationFactory<Program> App { get; private set; } = null!;

    /// <summary>The key that seals the outbox, in a folder the test knows, so that the CLI can be pointed at it.</summary>
    public string SubjectsKeyFile => Path.Combine(keys.Path, "subjects.key");

    public TestSmtpServer Smtp { get; }

    public FakeTimeProvider Time { get; }

    public CapturedLogs Logs { get; }

    public string PolicyHash => App.Services.GetRequiredService<CompiledPolicy>().Version.ContentHash;

    public static async Task<SubjectsHost> StartAsync(DatabaseProvider provider, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? settings = null)
    {
        var store = await TestStore.CreateAsync(provider, cancellationToken);
        var smtp = new TestSmtpServer();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var logs = new CapturedLogs();
        var factory = new KonzenFactory();
        var host = new SubjectsHost(store, factory, smtp, time, logs);
        host.App = factory.WithWebHostBuilder(builder =>
        {
            foreach (var (key, value) in store.HostSettings)
            {
                builder.UseSetting(key, value);
            }

            builder.UseSetting("Subjects:KeyFile", host.SubjectsKeyFile);
            builder.UseSetting("Email:Host", "127.0.0.1");
            builder.UseSetting("Email:Port", smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton<TimeProvider>(time);
                services.AddLogging(logging => logging.AddProvider(logs));
            });
        });
        _ = host.App.Server;
        return host;
    }

    public HttpClient Client() => App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public object Registration(string? email = null, string? phone = null, string password = "correct horse battery") =>
        new { email, phone, password, birthDate = "1990-05-17", acceptedPolicyHash = PolicyHash };

    public async Task<Guid> RegisterAsync(HttpClient client, object body, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/registrations", body, cancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return json.GetProperty("registrationId").GetGuid();
    }

    public static Task<HttpResponseMessage> VerifyAsync(HttpClient client, Guid registrationId, string channel, string code, CancellationToken cancellationToken) =>
        client.PostAsJsonAsync($"/api/v1/registrations/{registrationId}/verify", new { channel, code }, cancellationToken);

    /// <summary>
    /// Registers <paramref name="email"/> (the <paramref name="mailNumber"/>-th mail this host sends),
    /// verifies it and signs in with a bearer token: a client of <paramref name="app"/> (this host by default) acting as that subject.
    /// </summary>
    public async Task<(Guid SubjectId, HttpClient Client)> SignedInSubjectAsync(string email, int mailNumber, CancellationToken cancellationToken, WebApplicationFactory<Program>? app = null)
    {
        var client = Client();
        var id = await RegisterAsync(client, Registration(email: email), cancellationToken);
        using var verified = await VerifyAsync(client, id, "email", await EmailCodeAsync(mailNumber), cancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Created, verified.StatusCode);
        var session = (app ?? App).CreateClient();
        using var token = await session.PostAsJsonAsync("/api/v1/sessions", new { email, password = "correct horse battery", mode = "token" }, cancellationToken);
        var accessToken = (await token.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("accessToken").GetString();
        session.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);
        return (id, session);
    }

    /// <summary>Adds a staff member through the staff directory, as <c>konzen staff add</c> does, and returns their admin token.</summary>
    public async Task<string> AddStaffAsync(string name, CancellationToken cancellationToken)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var added = await scope.ServiceProvider.GetRequiredService<Konzen.Privacy.Staff.StaffDirectory>().AddAsync(name, "staff:cli", cancellationToken);
        return added.Token!;
    }

    /// <summary>A client that calls as the staff member holding <paramref name="token"/>.</summary>
    public HttpClient StaffClient(string token)
    {
        var client = Client();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The code in the <paramref name="count"/>-th email received.</summary>
    public async Task<string> EmailCodeAsync(int count)
    {
        var messages = await Smtp.WaitForAsync(count, TimeSpan.FromSeconds(10));
        return CodeIn(messages[count - 1].TextBody ?? string.Empty);
    }

    public async Task<IReadOnlyList<SmsOutboxEntry>> OutboxAsync(CancellationToken cancellationToken)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await SmsOutbox.ReadAsync(
            scope.ServiceProvider.GetRequiredService<PrivacyDbContext>(), scope.ServiceProvider.GetRequiredService<SubjectSecrets>(), cancellationToken: cancellationToken);
    }

    /// <summary>The code in the newest text message to <paramref name="phone"/>.</summary>
    public async Task<string> SmsCodeAsync(string phone, CancellationToken cancellationToken) =>
        CodeIn((await OutboxAsync(cancellationToken)).First(m => m.To == phone).Text);

    /// <summary>Every row of every table of both stores, as text: what a copy of the databases would show.</summary>
    public Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> DumpAsync(CancellationToken cancellationToken) => DumpAsync(Store, cancellationToken);

    /// <summary>Every row of every table of <paramref name="store"/>'s two databases, as text (for tests that run a `konzen` process over a store).</summary>
    public static async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> DumpAsync(TestStore store, CancellationToken cancellationToken)
    {
        var dump = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        await using var db = store.NewDataContext();
        await using var keys = store.NewKeyContext();
        foreach (var context in new DbContext[] { db, keys })
        {
            var connection = context.Database.GetDbConnection();
            await connection.OpenAsync(cancellationToken);
            foreach (var table in await TablesAsync(connection, cancellationToken))
            {
                var rows = new List<string>();
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT * FROM \"{table}\"";
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var values = new object[reader.FieldCount];
                    reader.GetValues(values);
                    rows.Add(string.Join('|', values.Select(v => v is byte[] bytes ? Convert.ToHexString(bytes) : Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture))));
                }

                rows.Sort(StringComparer.Ordinal);
                dump[$"{connection.Database}.{table}"] = rows;
            }
        }

        return dump;
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await factory.DisposeAsync();
        await Smtp.DisposeAsync();
        await Store.DisposeAsync();
        keys.Dispose();
    }

    public static string CodeIn(string text) => SixDigits().Match(text) is { Success: true } match ? match.Value : throw new InvalidOperationException("No code in the message.");

    private static async Task<List<string>> TablesAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = connection.GetType().Name.StartsWith("Sqlite", StringComparison.Ordinal)
            ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            : "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'";
        var tables = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex SixDigits();
}
