using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Retention;
using Konzen.Privacy.Rights;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Tests.Collection;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Rights;

/// <summary>One subject's sealed rows as a copy of the data store holds them.</summary>
internal sealed record SealedRows(
    List<(Guid SubjectId, string Field, byte[] Ciphertext)> Fields,
    List<(Guid Id, Guid SubjectId, byte[] Coordinates)> Points,
    List<(byte[] Hmac, string Purpose, string Category, string Type, DateTimeOffset At, bool SubjectSealed, byte[] Payload)> Events);

/// <summary>Helpers for cancellation tests over an <see cref="EventBed"/>: people with data in every sealed table, codes from the SMS outbox, decryption attempts.</summary>
internal static partial class CancellationBed
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Gives the subject an email, a phone, a birth date, a location point and log events whose page is <paramref name="page"/>.</summary>
    public static async Task FillAsync(EventBed bed, Guid subjectId, string email, string phone, string page)
    {
        await using (var scope = bed.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
            var vault = scope.ServiceProvider.GetRequiredService<PersonalDataVault>();
            Assert.Equal(VaultWrite.Written, await vault.WriteAsync(db, subjectId, PersonalDataVault.EmailField, email, "test", Ct));
            Assert.Equal(VaultWrite.Written, await vault.WriteAsync(db, subjectId, PersonalDataVault.PhoneField, phone, "test", Ct));
            Assert.Equal(VaultWrite.Written, await vault.WriteAsync(db, subjectId, SubjectRegistration.BirthDateField, "1990-05-17", "test", Ct));
        }

        await using (var scope = bed.Services.CreateScope())
        {
            var recorded = await scope.ServiceProvider.GetRequiredService<LocationIntake>().RecordAsync(
                subjectId, new LocationReport(31.2304, 121.4737, 12, LocationSource.Gps, PositioningOn: true, bed.Time.GetUtcNow()), $"subject:{subjectId}", Ct);
            Assert.Equal(LocationRefusal.None, recorded.Refusal);
        }

        var result = await bed.RecordAsync(EventActor.Subject(subjectId), [bed.Event(page: page), bed.Event(type: "page-view", page: page)]);
        Assert.Equal(2, result.Stored);
    }

    /// <summary>A subject who may be located (consented), as the consent endpoint records it.</summary>
    public static Task<Guid> NewSubjectAsync(EventBed bed) => bed.NewSubjectAsync(LocationIntake.Purpose);

    public static async Task<T> WithAsync<T>(EventBed bed, Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = bed.Services.CreateScope();
        return await action(scope.ServiceProvider);
    }

    /// <summary>Requests a cancellation by phone and enters the code from the SMS outbox.</summary>
    public static async Task<CancellationScheduled> ScheduleAsync(EventBed bed, Guid subjectId)
    {
        var code = await RequestCodeAsync(bed, subjectId);
        var confirmed = await WithAsync(bed, s => s.GetRequiredService<Cancellations>().ConfirmAsync(subjectId, VerificationChannel.Phone, code, Ct));
        Assert.Equal(CancellationRefusal.None, confirmed.Refusal);
        return confirmed.Value!;
    }

    public static async Task<string> RequestCodeAsync(EventBed bed, Guid subjectId)
    {
        var started = await WithAsync(bed, s => s.GetRequiredService<Cancellations>().StartAsync(subjectId, VerificationChannel.Phone, Ct));
        Assert.Equal(CancellationRefusal.None, started.Refusal);
        return await WithAsync(bed, async s =>
        {
            var sms = await SmsOutbox.ReadAsync(s.GetRequiredService<PrivacyDbContext>(), s.GetRequiredService<SubjectSecrets>(), 1, Ct);
            return Code().Match(sms[0].Text).Value;
        });
    }

    public static Task<RetentionSweepResult> SweepAsync(EventBed bed) =>
        WithAsync(bed, s => s.GetRequiredService<RetentionSweep>().RunAsync(RetentionSweep.SystemActor, Ct));

    /// <summary>Every sealed row of the store behind <paramref name="db"/>: fields and points of <paramref name="subjectId"/>, and every event.</summary>
    public static async Task<SealedRows> ReadSealedAsync(PrivacyDbContext db, Guid subjectId)
    {
        var fields = await db.PersonalFields.AsNoTracking().Where(f => f.SubjectId == subjectId).ToListAsync(Ct);
        var points = await db.Set<LocationPoint>().AsNoTracking().Where(p => p.SubjectId == subjectId).ToListAsync(Ct);
        var events = await (from e in db.Set<LogEvent>().AsNoTracking()
                            join p in db.Set<EventPseudonym>() on e.PseudonymId equals p.Id
                            select new { p.Hmac, e.Purpose, e.Category, e.Type, e.At, e.SubjectSealed, e.Payload }).ToListAsync(Ct);
        return new SealedRows(
            [.. fields.Select(f => (f.SubjectId, f.Field, f.Ciphertext))],
            [.. points.Select(p => (p.Id, p.SubjectId, p.Coordinates))],
            [.. events.Select(e => (e.Hmac, e.Purpose, e.Category, e.Type, e.At, e.SubjectSealed, e.Payload))]);
    }

    /// <summary>Every data key the live key store can open, as a thief holding it and the master key would have them.</summary>
    public static async Task<List<byte[]>> LiveKeysAsync(EventBed bed) => await WithAsync(bed, async s =>
    {
        var master = s.GetRequiredService<MasterKeyRing>();
        var store = s.GetRequiredService<KeyStoreDbContext>();
        var keys = new List<byte[]>();
        foreach (var row in await store.SubjectKeys.AsNoTracking().ToListAsync(Ct))
        {
            keys.Add(master.Unwrap(row.SubjectId, row.WrappedKey, row.MasterKeyId));
        }

        foreach (var row in await store.Set<EventEpochKey>().AsNoTracking().ToListAsync(Ct))
        {
            keys.Add(master.Unwrap(EventEpochKey.WrapId(row.Epoch), row.WrappedKey, row.MasterKeyId));
        }

        return keys;
    });

    /// <summary>How many of the subject's sealed values open under any of <paramref name="keys"/>; plaintexts that opened are added to <paramref name="opened"/>.</summary>
    public static int CountOpened(SealedRows rows, Guid subjectId, IReadOnlyList<byte[]> keys, List<string>? opened = null)
    {
        var count = 0;
        foreach (var (owner, field, ciphertext) in rows.Fields)
        {
            count += TryAny(keys, key => FieldCipher.Decrypt(key, owner, field, ciphertext), opened);
        }

        foreach (var (id, owner, coordinates) in rows.Points)
        {
            count += TryAny(keys, key => FieldCipher.Decrypt(key, owner, $"location_points/{id:N}", coordinates), opened);
        }

        foreach (var e in rows.Events.Where(e => e.SubjectSealed))
        {
            count += TryAny(keys, key =>
            {
                using var seal = EventSeal.ForSubject(key, subjectId);
                return Encoding.UTF8.GetString(seal.Open(e.Payload, new EventAad(e.Hmac, e.Purpose, e.Category, e.Type, e.At.ToUnixTimeSeconds())));
            }, opened);
        }

        return count;
    }

    /// <summary>Checks a JWS (ES256) against the JWKS and returns its payload.</summary>
    public static JsonElement VerifyJws(string jws, PublicJsonWebKeySet jwks)
    {
        var parts = jws.Split('.');
        Assert.Equal(3, parts.Length);
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        Assert.Equal("ES256", header.RootElement.GetProperty("alg").GetString());
        var jwk = jwks.Keys.Single(k => k.Kid == header.RootElement.GetProperty("kid").GetString());
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64Url.DecodeFromChars(jwk.X), Y = Base64Url.DecodeFromChars(jwk.Y) },
        });
        Assert.True(ecdsa.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256), "the certificate's signature does not verify");
        return JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement.Clone();
    }

    private static int TryAny(IReadOnlyList<byte[]> keys, Func<byte[], string> open, List<string>? opened)
    {
        foreach (var key in keys)
        {
            try
            {
                // Opened first: with opened null, opened?.Add(open(key)) would not even call open.
                var plaintext = open(key);
                opened?.Add(plaintext);
                return 1;
            }
            catch (Exception e) when (e is CryptographicException or VaultIntegrityException)
            {
                // Not this key: try the next.
            }
        }

        return 0;
    }

    [GeneratedRegex("[0-9]{6}")]
    private static partial Regex Code();
}
