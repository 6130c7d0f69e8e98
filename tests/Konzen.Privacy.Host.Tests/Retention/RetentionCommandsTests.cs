using Konzen.Privacy.Collection;
using Konzen.Privacy.Retention;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Testing;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Host.Tests.Retention;

public sealed class RetentionCommandsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.2")]
    public async Task RetentionRun_WithExpiredData_DeletesItAndPrintsWhatItRemovedPerCategory(DatabaseProvider provider)
    {
        await using var store = await TestStore.CreateAsync(provider, Cancel);
        using var folder = new TempFolder();
        var now = DateTimeOffset.UtcNow;
        Guid kept;
        await using (var db = store.NewDataContext())
        {
            var subject = VaultServices.NewSubject();
            db.Add(subject);
            db.Add(Point(subject.Id, now.AddDays(-91)));
            var young = Point(subject.Id, now.AddDays(-89));
            kept = young.Id;
            db.Add(young);
            var registration = Guid.NewGuid();
            db.Add(new PendingRegistration { Id = registration, CreatedAt = now.AddMinutes(-70), ExpiresAt = now.AddHours(-1), Payload = [1] });
            db.Add(new VerificationCode { RegistrationId = registration, Channel = "phone", Hash = new byte[32], ExpiresAt = now.AddHours(-1) });
            db.Add(new SmsOutboxMessage { Id = Guid.NewGuid(), CreatedAt = now.AddMinutes(-70), Ciphertext = [1] });
            await db.SaveChangesAsync(Cancel);
        }

        var (exit, output, error) = await Cli.RunAsync(
            "retention", "run", $"--Storage:Database={store.DatabaseConnectionString}", $"--Storage:KeyStore={store.KeyStoreConnectionString}", $"--Storage:DataDirectory={folder.Path}");

        Assert.Equal((0, ""), (exit, error));
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("retention sweep ", lines[0], StringComparison.Ordinal);
        // Every target reports each of its categories, removed or not; these held expired rows.
        Assert.Subset(
            lines[1..].ToHashSet(),
            new HashSet<string>
            {
                "  user.location.precise: deleted 1, anonymized 0",
                "  pending-registrations: deleted 1, anonymized 0",
                "  verification-codes: deleted 1, anonymized 0",
                "  sms-outbox: deleted 1, anonymized 0",
            });
        Assert.All(lines[1..], line => Assert.Matches(@"^  [a-z._-]+: deleted \d+, anonymized \d+$", line));
        await using var check = store.NewDataContext();
        Assert.Equal([kept], await check.Set<LocationPoint>().Select(p => p.Id).ToListAsync(Cancel));
        Assert.Empty(await check.Set<PendingRegistration>().ToListAsync(Cancel));
        Assert.Empty(await check.Set<SmsOutboxMessage>().ToListAsync(Cancel));
        var record = Assert.Single(await check.Set<RetentionSweepRecord>().ToListAsync(Cancel));
        Assert.Equal(("staff:cli", RetentionSweepOutcome.Completed), (record.Actor, record.Outcome));
        Assert.Contains(record.Id.ToString(), lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RetentionRun_PostgresWithoutKeyStore_ExitsOneWithTheReason()
    {
        var (exit, output, error) = await Cli.RunAsync("retention", "run", "--database", "Host=127.0.0.1;Database=none");

        Assert.Equal((1, ""), (exit, output));
        Assert.Contains("Storage:KeyStore must name a separate database", error, StringComparison.Ordinal);
    }

    private static LocationPoint Point(Guid subjectId, DateTimeOffset recordedAt) => new()
    {
        Id = Guid.NewGuid(),
        SubjectId = subjectId,
        RecordedAt = recordedAt,
        ReceivedAt = recordedAt,
        Source = LocationSource.Gps,
        Accuracy = 10,
        Coordinates = [1, 2, 3],
    };
}
