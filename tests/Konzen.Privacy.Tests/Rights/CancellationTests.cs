using System.Runtime.Versioning;
using System.Text;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Rights;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Tests.Collection;
using Konzen.Privacy.Tests.Vault;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Rights;

// Key files are protected by Unix file modes; the service runs on Linux.
[UnsupportedOSPlatform("windows")]
public sealed class CancellationTests
{
    private const string Email = "li.wei.cancels@example.cn";
    private const string Phone = "+8613800138000";
    private const string Page = "/domains/li-wei-private-portfolio";
    private static readonly TimeSpan CoolingOff = TimeSpan.FromDays(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.4")]
    [Trait("Clause", "S2.1")]
    public async Task Complete_WithABackupTakenBefore_NoFieldOfTheSubjectInTheBackupDecryptsAndNoPlaintextRemains(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var store = bed.Store;
        if (provider == DatabaseProvider.Sqlite)
        {
            // As the service's start-up does, so that the backup and the scan include the -wal files.
            await using var db = store.NewDataContext();
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", Ct);
            await using var keys = store.NewKeyContext();
            await keys.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", Ct);
        }

        var subject = await CancellationBed.NewSubjectAsync(bed);
        var other = await CancellationBed.NewSubjectAsync(bed);
        await CancellationBed.FillAsync(bed, subject, Email, Phone, Page);
        await CancellationBed.FillAsync(bed, other, "zhao.other@example.cn", "+8613900139000", "/domains/other");
        var scheduled = await CancellationBed.ScheduleAsync(bed, subject);

        // The backup: on SQLite the data files as they are on disk; on PostgreSQL a dump of the subject's rows.
        var backupFolder = Directory.CreateTempSubdirectory("konzen-backup-").FullName;
        SealedRows? dump = null;
        try
        {
            if (provider == DatabaseProvider.Sqlite)
            {
                var files = Directory.GetFiles(store.Folder!, "privacy.db*").Where(f => !f.EndsWith("-shm", StringComparison.Ordinal)).ToList();
                Assert.Contains(files, f => f.EndsWith("privacy.db-wal", StringComparison.Ordinal));
                foreach (var file in files)
                {
                    await using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    await using var target = File.Create(Path.Combine(backupFolder, Path.GetFileName(file)));
                    await source.CopyToAsync(target, Ct);
                }
            }
            else
            {
                await using var db = store.NewDataContext();
                dump = await CancellationBed.ReadSealedAsync(db, subject);
            }

            async Task<SealedRows> BackupAsync()
            {
                if (dump is not null)
                {
                    return dump;
                }

                await using var db = new PrivacyDbContext(new DbContextOptionsBuilder<PrivacyDbContext>()
                    .UseSqlite($"Data Source={Path.Combine(backupFolder, "privacy.db")};Pooling=False").Options);
                return await CancellationBed.ReadSealedAsync(db, subject);
            }

            // Before completion the backup opens with the subject's key: 3 fields, 1 point, 2 events.
            var before = await BackupAsync();
            var opened = new List<string>();
            Assert.Equal(6, CancellationBed.CountOpened(before, subject, await CancellationBed.LiveKeysAsync(bed), opened));
            Assert.Contains(Email, opened);
            Assert.Contains(opened, o => o.Contains(Page, StringComparison.Ordinal));

            bed.Time.Advance(CoolingOff + TimeSpan.FromMinutes(1));
            var sweep = await CancellationBed.SweepAsync(bed);
            Assert.Contains(sweep.Counts, c => c.Category == CancellationCompleter.Name && c.Deleted == 1);

            // With every key the live key store holds (all subjects' and all periods'), nothing of the subject opens.
            var after = await BackupAsync();
            Assert.Equal(3, after.Fields.Count);
            Assert.Single(after.Points);
            Assert.Equal(0, CancellationBed.CountOpened(after, subject, await CancellationBed.LiveKeysAsync(bed)));
            Assert.Null(await CancellationBed.WithAsync(bed, s => s.GetRequiredService<SubjectKeys>().FindAsync(subject, Ct)));

            // Only the cancelled subject is gone: the other still reads.
            var otherEmail = await CancellationBed.WithAsync(bed, async s =>
            {
                var state = await s.GetRequiredService<ConsentLedger>().GetStateAsync(other, Ct);
                return await s.GetRequiredService<PersonalDataVault>().ReadAsync(s.GetRequiredService<PrivacyDbContext>(), state, other, PersonalDataVault.EmailField, "essential.service", "test", Ct);
            });
            Assert.Equal("zhao.other@example.cn", otherEmail.Value);

            // Nothing of the subject in the clear anywhere under the data folder (and the key files' folder).
            var everything = await StoreScan.ReadAllAsync(store);
            if (provider == DatabaseProvider.Sqlite)
            {
                everything = [.. everything, .. Directory.GetFiles(bed.Folder).SelectMany(File.ReadAllBytes)];
            }

            Assert.True(StoreScan.Contains(everything, Encoding.UTF8.GetBytes(CancellationCompleter.Name)) || StoreScan.Contains(everything, Encoding.UTF8.GetBytes("subject.cancelled")), "the scan does not see the stores' rows");
            foreach (var value in new[] { Email, Phone, Page, "31.2304", "li.wei.cancels" })
            {
                foreach (var (form, bytes) in StoreScan.FormsOf(value))
                {
                    Assert.False(StoreScan.Contains(everything, bytes), $"a value of the cancelled subject was found in the clear ({form})");
                }
            }

            await using (var db = store.NewDataContext())
            {
                Assert.False(await db.Subjects.AnyAsync(s => s.Id == subject, Ct));
                Assert.False(await db.PersonalFields.AnyAsync(f => f.SubjectId == subject, Ct));
                Assert.True(await db.Subjects.AnyAsync(s => s.Id == other, Ct));

                // The consent evidence stays, under the bare id.
                Assert.True(await db.Set<ConsentEvent>().AnyAsync(e => e.SubjectId == subject, Ct));
                var tombstone = await db.Set<CancellationRequest>().SingleAsync(c => c.Id == scheduled.CancellationId, Ct);
                Assert.Equal(CancellationStatus.Completed, tombstone.Status);
            }
        }
        finally
        {
            Directory.Delete(backupFolder, recursive: true);
        }
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.4")]
    public async Task Undo_WithinCoolingOff_KeepsEverythingAndCompletionWaitsForTheFullPeriod(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var subject = await CancellationBed.NewSubjectAsync(bed);
        await CancellationBed.FillAsync(bed, subject, Email, Phone, Page);
        await CancellationBed.ScheduleAsync(bed, subject);

        bed.Time.Advance(CoolingOff - TimeSpan.FromMinutes(1));
        var early = await CancellationBed.SweepAsync(bed);
        Assert.Contains(early.Counts, c => c.Category == CancellationCompleter.Name && c.Deleted == 0);
        Assert.NotNull(await CancellationBed.WithAsync(bed, s => s.GetRequiredService<SubjectKeys>().FindAsync(subject, Ct)));

        var undone = await CancellationBed.WithAsync(bed, s => s.GetRequiredService<Cancellations>().UndoAsync(subject, Ct));
        Assert.Equal(CancellationRefusal.None, undone.Refusal);
        bed.Time.Advance(TimeSpan.FromDays(30));
        await CancellationBed.SweepAsync(bed);
        await using (var db = bed.Store.NewDataContext())
        {
            Assert.True(await db.Subjects.AnyAsync(s => s.Id == subject, Ct));
            Assert.Equal(3, await db.PersonalFields.CountAsync(f => f.SubjectId == subject, Ct));
        }

        var opened = new List<string>();
        await using (var db = bed.Store.NewDataContext())
        {
            Assert.Equal(3, CancellationBed.CountOpened(await CancellationBed.ReadSealedAsync(db, subject) with { Points = [], Events = [] }, subject, await CancellationBed.LiveKeysAsync(bed), opened));
        }

        Assert.Contains(Email, opened);

        // Scheduled again, it completes exactly when the period is over, not a minute before.
        var again = await CancellationBed.ScheduleAsync(bed, subject);
        Assert.Equal(bed.Time.GetUtcNow() + CoolingOff, again.DueAt);
        bed.Time.Advance(CoolingOff);
        Assert.Contains((await CancellationBed.SweepAsync(bed)).Counts, c => c.Category == CancellationCompleter.Name && c.Deleted == 1);
        Assert.Null(await CancellationBed.WithAsync(bed, s => s.GetRequiredService<SubjectKeys>().FindAsync(subject, Ct)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Complete_WhenTheRowDeletionIsRolledBack_KeyIsAlreadyDestroyedAndARerunFinishes(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var subject = await CancellationBed.NewSubjectAsync(bed);
        await CancellationBed.FillAsync(bed, subject, Email, Phone, Page);
        var scheduled = await CancellationBed.ScheduleAsync(bed, subject);
        bed.Time.Advance(CoolingOff);

        // The caller's transaction holds every data-store change of the completion; rolling it back
        // stands for a row deletion that failed. The key step was committed on its own before it.
        await using (var scope = bed.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(Ct);
            Assert.NotNull(await scope.ServiceProvider.GetRequiredService<Cancellations>().CompleteAsync(scheduled.CancellationId, Ct));
            await transaction.RollbackAsync(Ct);
        }

        Assert.Null(await CancellationBed.WithAsync(bed, s => s.GetRequiredService<SubjectKeys>().FindAsync(subject, Ct)));
        await using (var db = bed.Store.NewDataContext())
        {
            Assert.Equal(3, await db.PersonalFields.CountAsync(f => f.SubjectId == subject, Ct));
            Assert.Equal(0, CancellationBed.CountOpened(await CancellationBed.ReadSealedAsync(db, subject) with { Points = [], Events = [] }, subject, await CancellationBed.LiveKeysAsync(bed), []));
        }

        Assert.Contains((await CancellationBed.SweepAsync(bed)).Counts, c => c.Category == CancellationCompleter.Name && c.Deleted == 1);
        await using (var db = bed.Store.NewDataContext())
        {
            Assert.False(await db.Subjects.AnyAsync(s => s.Id == subject, Ct));
            Assert.Equal(0, await db.PersonalFields.CountAsync(f => f.SubjectId == subject, Ct));
        }
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.4")]
    public async Task Certificate_AfterCompletion_VerifiesWithTheJwksListsWhatWasDestroyedAndIsFetchedOnce(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var subject = await CancellationBed.NewSubjectAsync(bed);
        await CancellationBed.FillAsync(bed, subject, Email, Phone, Page);
        var scheduled = await CancellationBed.ScheduleAsync(bed, subject);

        var tooEarly = await CancellationBed.WithAsync(bed, s => s.GetRequiredService<Cancellations>().FetchCertificateAsync(scheduled.CancellationId, scheduled.CertificateToken, Ct));
        Assert.Equal(CancellationRefusal.NotFound, tooEarly.Refusal);

        bed.Time.Advance(CoolingOff);
        await CancellationBed.SweepAsync(bed);
        var wrongToken = await CancellationBed.WithAsync(bed, s => s.GetRequiredService<Cancellations>().FetchCertificateAsync(scheduled.CancellationId, "not-the-token", Ct));
        Assert.Equal(CancellationRefusal.NotFound, wrongToken.Refusal);

        var fetched = await CancellationBed.WithAsync(bed, s => s.GetRequiredService<Cancellations>().FetchCertificateAsync(scheduled.CancellationId, scheduled.CertificateToken, Ct));
        Assert.NotNull(fetched.Value);
        var claims = CancellationBed.VerifyJws(fetched.Value, bed.Services.Root.GetRequiredService<ReceiptSigner>().Jwks());
        Assert.Equal(DeletionCertificate.TypeName, claims.GetProperty("type").GetString());
        Assert.Equal(subject, claims.GetProperty("sub").GetGuid());
        Assert.Equal($"subject-key:{subject}", claims.GetProperty("key").GetProperty("keyId").GetString());
        Assert.True(claims.GetProperty("key").GetProperty("destroyed").GetBoolean());
        Assert.Equal(3, claims.GetProperty("destroyed").GetProperty("personalFields").GetInt32());
        Assert.Equal(1, claims.GetProperty("destroyed").GetProperty("locationPoints").GetInt32());
        Assert.Equal(2, claims.GetProperty("destroyed").GetProperty("logEvents").GetInt32());
        Assert.Equal(0, claims.GetProperty("recipientsNotified").GetArrayLength());
        Assert.DoesNotContain(Email, claims.GetRawText(), StringComparison.Ordinal);

        var second = await CancellationBed.WithAsync(bed, s => s.GetRequiredService<Cancellations>().FetchCertificateAsync(scheduled.CancellationId, scheduled.CertificateToken, Ct));
        Assert.Equal(CancellationRefusal.NotFound, second.Refusal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S6.4")]
    public async Task Confirm_WithWrongOrMalformedCode_IsRefusedAndSchedulesNothing(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        var subject = await CancellationBed.NewSubjectAsync(bed);
        await CancellationBed.FillAsync(bed, subject, Email, Phone, Page);

        var badChannel = await CancellationBed.WithAsync(bed, s => s.GetRequiredService<Cancellations>().StartAsync(subject, "fax", Ct));
        Assert.Equal(CancellationRefusal.InvalidInput, badChannel.Refusal);
        await using (var db = bed.Store.NewDataContext())
        {
            Assert.False(await db.Set<CancellationRequest>().AnyAsync(Ct));
        }

        var code = await CancellationBed.RequestCodeAsync(bed, subject);
        var wrong = code == "000000" ? "000001" : "000000";
        var refused = await CancellationBed.WithAsync(bed, s => s.GetRequiredService<Cancellations>().ConfirmAsync(subject, VerificationChannel.Phone, wrong, Ct));
        Assert.Equal(CancellationRefusal.InvalidCode, refused.Refusal);
        var malformed = await CancellationBed.WithAsync(bed, s => s.GetRequiredService<Cancellations>().ConfirmAsync(subject, VerificationChannel.Phone, "12ab56", Ct));
        Assert.Equal(CancellationRefusal.InvalidInput, malformed.Refusal);
        await using (var db = bed.Store.NewDataContext())
        {
            var request = await db.Set<CancellationRequest>().SingleAsync(Ct);
            Assert.Equal(CancellationStatus.AwaitingCode, request.Status);
            Assert.Null(request.DueAt);
            Assert.Null(request.TokenHash);
        }

        bed.Time.Advance(TimeSpan.FromDays(60));
        await CancellationBed.SweepAsync(bed);
        Assert.NotNull(await CancellationBed.WithAsync(bed, s => s.GetRequiredService<SubjectKeys>().FindAsync(subject, Ct)));
    }
}
