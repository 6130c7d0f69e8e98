using System.Net;
using System.Net.Http.Json;
using System.Text;
using Konzen.Privacy.Storage;

namespace Konzen.Privacy.Host.Tests.Subjects;

/// <summary>After registrations, neither the stores nor the server's logs hold an address, a number or a code (S2.1).</summary>
public sealed class PersonalDataLeakTests
{
    private const string Email = "zhang.min@example.org";
    private const string Phone = "13912345678";
    private const string PhoneE164 = "+8613912345678";
    private const string PendingEmail = "wang.fang@example.net";
    private const string PendingPhone = "+8613700001111";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [Trait("Clause", "S2.1")]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Store_AfterRegistrations_HoldsNoPlaintextAddressNumberOrCode(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Cancel);
        var codes = await RegisterAsync(host);

        var secrets = new[] { Email, PhoneE164, Phone, PendingEmail, PendingPhone, PendingPhone[3..] };
        var dump = string.Join('\n', (await host.DumpAsync(Cancel)).Select(t => $"{t.Key}\n{string.Join('\n', t.Value)}"));
        Assert.Contains("subjects", dump, StringComparison.Ordinal);
        Assert.Contains("sms_outbox", dump, StringComparison.Ordinal);
        AssertClean(Encoding.UTF8.GetBytes(dump), secrets, codes, "a table");

        if (host.Store.Folder is { } folder)
        {
            // The files themselves, write-ahead logs included: what a copied disk or backup would hold.
            var files = Directory.GetFiles(folder);
            Assert.Contains(files, f => Path.GetFileName(f).StartsWith("privacy.db", StringComparison.Ordinal));
            foreach (var file in files)
            {
                AssertClean(await File.ReadAllBytesAsync(file, Cancel), secrets, codes, Path.GetFileName(file));
            }
        }
    }

    [Fact]
    [Trait("Clause", "S2.1")]
    public async Task Logs_DuringRegistrationAndSignIn_HoldNoAddressNumberOrCode()
    {
        await using var host = await SubjectsHost.StartAsync(DatabaseProvider.Sqlite, Cancel);
        var codes = await RegisterAsync(host);
        var client = host.Client();
        await client.PostAsJsonAsync("/api/v1/sessions", new { email = Email, password = "not the password", mode = "cookie" }, Cancel);
        await client.PostAsJsonAsync("/api/v1/registrations", new { email = Email + "@", phone = Phone + "9", password = "x", birthDate = "1990-01-01", acceptedPolicyHash = "0", extra = Email }, Cancel);
        await client.PostAsync("/api/v1/registrations", new StringContent("{\"email\":\"" + Email + "\",", Encoding.UTF8, "application/json"), Cancel);

        var lines = host.Logs.Lines;
        Assert.Contains(lines, l => l.Contains("Sent one email", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("SMS outbox", StringComparison.Ordinal));
        AssertClean(Encoding.UTF8.GetBytes(string.Join('\n', lines)), [Email, PhoneE164, Phone, PendingEmail, PendingPhone, PendingPhone[3..]], codes, "the logs");
    }

    /// <summary>One subject by email and phone, signed in both ways, and one registration left pending.</summary>
    private static async Task<List<string>> RegisterAsync(SubjectsHost host)
    {
        var client = host.Client();
        var id = await host.RegisterAsync(client, host.Registration(Email, Phone), Cancel);
        var codes = new List<string> { await host.EmailCodeAsync(1), await host.SmsCodeAsync(PhoneE164, Cancel) };
        using (var first = await SubjectsHost.VerifyAsync(client, id, "email", codes[0], Cancel))
        using (var second = await SubjectsHost.VerifyAsync(client, id, "phone", codes[1], Cancel))
        {
            Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        }

        using (var cookie = await client.PostAsJsonAsync("/api/v1/sessions", new { email = Email, password = "correct horse battery", mode = "cookie" }, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, cookie.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me", Cancel)).StatusCode);
        using (var token = await client.PostAsJsonAsync("/api/v1/sessions", new { phone = Phone, password = "correct horse battery", mode = "token" }, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        }

        await host.RegisterAsync(client, host.Registration(PendingEmail, PendingPhone), Cancel);
        codes.Add(await host.EmailCodeAsync(2));
        codes.Add(await host.SmsCodeAsync(PendingPhone, Cancel));
        return codes;
    }

    private static void AssertClean(byte[] haystack, string[] secrets, IEnumerable<string> codes, string where)
    {
        foreach (var secret in secrets)
        {
            Assert.True(haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"{where} holds a contact detail in plaintext");
        }

        foreach (var code in codes)
        {
            Assert.False(HoldsCode(haystack, Encoding.ASCII.GetBytes(code)), $"{where} holds a code in plaintext");
        }
    }

    // A code counts only as six digits standing alone: inside a longer number (a timestamp, say) it is a coincidence.
    private static bool HoldsCode(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> code)
    {
        for (var offset = 0; offset <= haystack.Length - code.Length;)
        {
            var found = haystack[offset..].IndexOf(code);
            if (found < 0)
            {
                return false;
            }

            var start = offset + found;
            var end = start + code.Length;
            if ((start == 0 || !char.IsAsciiDigit((char)haystack[start - 1])) && (end == haystack.Length || !char.IsAsciiDigit((char)haystack[end])))
            {
                return true;
            }

            offset = start + 1;
        }

        return false;
    }
}
