using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Konzen.Privacy.Host.Tests.Subjects;
using Konzen.Privacy.Retention;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Host.Tests.Rights;

public sealed class CancellationEndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.4")]
    public async Task Cancellation_ConfirmedByEmailCode_EndsSessionsAndHandsOutAVerifiableCertificateOnce(DatabaseProvider provider)
    {
        await using var host = await SubjectsHost.StartAsync(provider, Ct);
        var (subjectId, client) = await host.SignedInSubjectAsync("mei.cancel@example.cn", 1, Ct);

        using (var started = await client.PostAsJsonAsync("/api/v1/me/cancellation", new { channel = "email" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        }

        var code = await host.EmailCodeAsync(2);
        using (var wrong = await client.PostAsJsonAsync("/api/v1/me/cancellation/confirm", new { channel = "email", code = code == "000000" ? "000001" : "000000" }, Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        }

        using var confirmed = await client.PostAsJsonAsync("/api/v1/me/cancellation/confirm", new { channel = "email", code }, Ct);
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        var scheduled = await confirmed.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var certificateUrl = scheduled.GetProperty("certificateUrl").GetString()!;

        // A fresh session just before the end of the cooling-off period, so that only the cancellation can end it.
        host.Time.Advance(TimeSpan.FromDays(15) - TimeSpan.FromMinutes(1));
        using var fresh = host.App.CreateClient();
        using (var token = await fresh.PostAsJsonAsync("/api/v1/sessions", new { email = "mei.cancel@example.cn", password = "correct horse battery", mode = "token" }, Ct))
        {
            var accessToken = (await token.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("accessToken").GetString();
            fresh.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);
        }

        using (var alive = await fresh.DeleteAsync("/api/v1/me/data/location-history", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        }

        host.Time.Advance(TimeSpan.FromMinutes(2));
        // The host's own sweeper may be running when the clock moves (on PostgreSQL it then holds the
        // sweep's lock and this sweep is skipped): sweep until the subject is gone.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            await using var scope = host.App.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<RetentionSweep>().RunAsync(RetentionSweep.SystemActor, Ct);
            if (!await scope.ServiceProvider.GetRequiredService<PrivacyDbContext>().Subjects.AnyAsync(s => s.Id == subjectId, Ct))
            {
                break;
            }

            await Task.Delay(100, Ct);
        }

        using (var ended = await fresh.DeleteAsync("/api/v1/me/data/location-history", Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, ended.StatusCode);
        }

        using var anonymous = host.Client();
        var jws = await anonymous.GetStringAsync(certificateUrl, Ct);
        var jwks = await anonymous.GetFromJsonAsync<JsonElement>("/.well-known/jwks.json", Ct);
        var parts = jws.Split('.');
        var key = jwks.GetProperty("keys")[0];
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64Url.DecodeFromChars(key.GetProperty("x").GetString()), Y = Base64Url.DecodeFromChars(key.GetProperty("y").GetString()) },
        });
        Assert.True(ecdsa.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256));
        using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        Assert.Equal(subjectId, claims.RootElement.GetProperty("sub").GetGuid());

        using var again = await anonymous.GetAsync(certificateUrl, Ct);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }
}
