using System.Globalization;
using System.Text.RegularExpressions;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Retention;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Retention;

public sealed partial class RetentionSweepTests
{
    private const string Precise = LocationIntake.PreciseCategory;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.2")]
    public async Task Sweep_LocationPointsPastRetention_DeletesThemAndRecordsTheCount(DatabaseProvider provider)
    {
        await using var bed = await RetentionBed.CreateAsync(provider, Cancel);
        var subject = await bed.AddLocatedSubjectAsync(Cancel);
        await bed.RecordPointAsync(subject, Cancel);
        await bed.RecordPointAsync(subject, Cancel);
        bed.Time.Advance(TimeSpan.FromDays(30));
        var younger = await bed.RecordPointAsync(subject, Cancel);
        bed.Time.Advance(TimeSpan.FromDays(60) + TimeSpan.FromMinutes(1));

        var result = await bed.SweepAsync(Cancel);

        Assert.Equal(RetentionSweepOutcome.Completed, result.Outcome);
        Assert.Contains(new RetentionCount(Precise, 2, 0), result.Counts);
        Assert.Equal([younger], (await bed.RowsAsync<LocationPoint>(Cancel)).Select(p => p.Id));
        var record = Assert.Single(await bed.SweepRecordsAsync(Cancel));
        Assert.Equal((result.SweepId, RetentionSweepOutcome.Completed, "staff:test", bed.Time.GetUtcNow()), (record.Id, record.Outcome, record.Actor, record.StartedAt));
        var count = Assert.Single(record.Counts, c => c.Category == Precise);
        Assert.Equal((2, 0), (count.Deleted, count.Anonymized));
        var audit = Assert.Single(await bed.RowsAsync<AuditEntry>(Cancel), e => e.Action == "retention.swept");
        Assert.Equal("staff:test", audit.Actor);
        Assert.Contains($"{Precise} deleted 2, anonymized 0", audit.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.2")]
    public async Task Sweep_LocationPointsWithinRetention_LeavesThemUntouched(DatabaseProvider provider)
    {
        await using var bed = await RetentionBed.CreateAsync(provider, Cancel);
        var subject = await bed.AddLocatedSubjectAsync(Cancel);
        await bed.RecordPointAsync(subject, Cancel);
        bed.Time.Advance(TimeSpan.FromDays(45));
        await bed.RecordPointAsync(subject, Cancel);
        var before = Snapshot(await bed.RowsAsync<LocationPoint>(Cancel));
        bed.Time.Advance(TimeSpan.FromDays(45) - TimeSpan.FromMinutes(1));

        var result = await bed.SweepAsync(Cancel);

        Assert.Contains(new RetentionCount(Precise, 0, 0), result.Counts);
        Assert.Equal(before, Snapshot(await bed.RowsAsync<LocationPoint>(Cancel)));
        Assert.Equal(0, Assert.Single(await bed.SweepRecordsAsync(Cancel)).Counts.Single(c => c.Category == Precise).Deleted);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.2")]
    public async Task Sweep_ExpiredRegistration_DeletesItsDetailsCodeAndMessageButNotAFreshOne(DatabaseProvider provider)
    {
        await using var bed = await RetentionBed.CreateAsync(provider, Cancel);
        await bed.StartRegistrationAsync("+8613800138000", Cancel);
        bed.Time.Advance(TimeSpan.FromMinutes(10));
        var fresh = await bed.StartRegistrationAsync("+8613900139000", Cancel);

        var result = await bed.SweepAsync(Cancel);

        Assert.Contains(new RetentionCount(RegistrationRetention.PendingRegistrations, 1, 0), result.Counts);
        Assert.Contains(new RetentionCount(RegistrationRetention.VerificationCodes, 1, 0), result.Counts);
        Assert.Contains(new RetentionCount(RegistrationRetention.SmsOutbox, 1, 0), result.Counts);
        Assert.Equal([fresh], (await bed.RowsAsync<PendingRegistration>(Cancel)).Select(r => r.Id));
        Assert.Equal([fresh], (await bed.RowsAsync<VerificationCode>(Cancel)).Select(c => c.RegistrationId));
        Assert.Single(await bed.RowsAsync<SmsOutboxMessage>(Cancel));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.2")]
    public async Task Sweep_UsedCodeOfAHalfVerifiedRegistration_DeletesItAndTheRegistrationStillCompletes(DatabaseProvider provider)
    {
        await using var smtp = new TestSmtpServer();
        await using var bed = await RetentionBed.CreateAsync(provider, Cancel, settings: new Dictionary<string, string?>
        {
            ["Email:Host"] = "127.0.0.1",
            ["Email:Port"] = smtp.Port.ToString(CultureInfo.InvariantCulture),
        });
        var id = await bed.StartRegistrationAsync("+8613800138000", Cancel, email: "half@example.com");
        var phoneVerified = await bed.VerifyAsync(id, VerificationChannel.Phone, SixDigits().Match(await bed.LastTextAsync(Cancel)).Value, Cancel);
        Assert.Equal(["email"], phoneVerified.Remaining);

        var result = await bed.SweepAsync(Cancel);

        Assert.Contains(new RetentionCount(RegistrationRetention.VerificationCodes, 1, 0), result.Counts);
        Assert.Contains(new RetentionCount(RegistrationRetention.PendingRegistrations, 0, 0), result.Counts);
        Assert.Equal([VerificationChannel.Email], (await bed.RowsAsync<VerificationCode>(Cancel)).Select(c => c.Channel));
        var mail = Assert.Single(await smtp.WaitForAsync(1, TimeSpan.FromSeconds(10)));
        var completed = await bed.VerifyAsync(id, VerificationChannel.Email, SixDigits().Match(mail.TextBody ?? string.Empty).Value, Cancel);
        Assert.Equal((id, (Refusal?)null), (completed.SubjectId, completed.Refusal));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Due_WithPointsAndARegistrationHeld_SaysWhenEachExpiresAndThePolicyRetention(DatabaseProvider provider)
    {
        await using var bed = await RetentionBed.CreateAsync(provider, Cancel);
        var subject = await bed.AddLocatedSubjectAsync(Cancel);
        await bed.RecordPointAsync(subject, Cancel);
        await bed.StartRegistrationAsync("+8613800138000", Cancel);
        await using var scope = bed.Services.CreateAsyncScope();

        var due = await scope.ServiceProvider.GetRequiredService<RetentionSweep>().DueAsync(Cancel);

        var start = RetentionBed.Start;
        Assert.Contains(new RetentionCategoryDue(RegistrationRetention.PendingRegistrations, null, start.AddMinutes(10)), due);
        Assert.Contains(new RetentionCategoryDue(RegistrationRetention.SmsOutbox, null, start.AddMinutes(10)), due);
        Assert.Contains(new RetentionCategoryDue(RegistrationRetention.VerificationCodes, null, start.AddMinutes(10)), due);
        Assert.Contains(new RetentionCategoryDue(Precise, new RetentionPeriod(0, 0, 90, false), start.AddDays(90)), due);

        // Every category of the policy is listed once with its retention; what nothing sweeps says so.
        var policy = scope.ServiceProvider.GetRequiredService<CompiledPolicy>();
        foreach (var category in policy.Categories)
        {
            var entry = Assert.Single(due, d => d.Category == category.Key);
            Assert.Equal(category.Retention, entry.Retention);
        }

        Assert.Contains(new RetentionCategoryDue("user.contact.email", RetentionPeriod.UntilCancellation, null, Swept: false), due);
        Assert.Contains(new RetentionCategoryDue("user.behavior.clicks", new RetentionPeriod(0, 6, 0, false), null), due);
    }

    [Fact]
    public async Task Sweep_OnPostgresWhileAnotherNodeSweeps_SkipsAndRecordsNothing()
    {
        var gate = new GateTarget();
        await using var bed = await RetentionBed.CreateAsync(DatabaseProvider.Postgres, Cancel, services => services.AddSingleton<IRetentionTarget>(gate));
        var first = bed.SweepAsync(Cancel, "staff:first");
        await gate.Entered.WaitAsync(TimeSpan.FromSeconds(30), Cancel);

        var second = await bed.SweepAsync(Cancel, "staff:second");

        gate.Release();
        var firstResult = await first.WaitAsync(TimeSpan.FromSeconds(30), Cancel);
        Assert.Equal((RetentionSweepOutcome.Skipped, null, 0), (second.Outcome, second.SweepId, second.Counts.Count));
        Assert.Equal(RetentionSweepOutcome.Completed, firstResult.Outcome);
        Assert.Equal(["staff:first"], (await bed.SweepRecordsAsync(Cancel)).Select(r => r.Actor));
        Assert.Equal(1, gate.Calls);
        Assert.Contains(bed.Logs.Lines, l => l.Contains("skipped: another node holds the sweep lock", StringComparison.Ordinal));

        // The lock ends with the first sweep's transaction: the next sweep runs.
        Assert.Equal(RetentionSweepOutcome.Completed, (await bed.SweepAsync(Cancel, "staff:third")).Outcome);
    }

    [Fact]
    public async Task Sweep_OnSqliteWhileAnotherSweeps_WaitsForItAndRuns()
    {
        var gate = new GateTarget();
        await using var bed = await RetentionBed.CreateAsync(DatabaseProvider.Sqlite, Cancel, services => services.AddSingleton<IRetentionTarget>(gate));
        var first = bed.SweepAsync(Cancel, "staff:first");
        await gate.Entered.WaitAsync(TimeSpan.FromSeconds(30), Cancel);

        // SQLite's driver waits for the write lock synchronously, so the second sweep waits on a thread of its own.
        var second = Task.Run(() => bed.SweepAsync(Cancel, "staff:second"), Cancel);
        gate.Release();

        var results = await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(60), Cancel);
        Assert.All(results, r => Assert.Equal(RetentionSweepOutcome.Completed, r.Outcome));
        Assert.Equal(["staff:first", "staff:second"], (await bed.SweepRecordsAsync(Cancel)).Select(r => r.Actor).Order(StringComparer.Ordinal));
        Assert.Equal(2, gate.Calls);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Sweep_WhenATargetFails_RemovesNothingAndRecordsTheFailure(DatabaseProvider provider)
    {
        await using var bed = await RetentionBed.CreateAsync(provider, Cancel, services => services.AddScoped<IRetentionTarget, FailingTarget>());
        var subject = await bed.AddLocatedSubjectAsync(Cancel);
        await bed.RecordPointAsync(subject, Cancel);
        bed.Time.Advance(TimeSpan.FromDays(91));

        await Assert.ThrowsAsync<InvalidOperationException>(() => bed.SweepAsync(Cancel));

        Assert.Single(await bed.RowsAsync<LocationPoint>(Cancel));
        var record = Assert.Single(await bed.SweepRecordsAsync(Cancel));
        Assert.Equal((RetentionSweepOutcome.Failed, "InvalidOperationException", 0), (record.Outcome, record.Error, record.Counts.Count));
        Assert.Single(await bed.RowsAsync<AuditEntry>(Cancel), e => e.Action == "retention.sweep-failed");
        Assert.DoesNotContain(await bed.RowsAsync<AuditEntry>(Cancel), e => e.Action == "retention.swept");
    }

    [Fact]
    public void Cutoff_MonthsAtTheEndOfAShortMonth_NeverCutsBeforeTheRetentionHasPassed()
    {
        var now = new DateTimeOffset(2025, 8, 31, 12, 0, 0, TimeSpan.Zero);
        var sixMonths = new RetentionPeriod(0, 6, 0, false);
        var ninetyDays = new RetentionPeriod(0, 0, 90, false);

        var months = RetentionCutoff.Of(sixMonths, now)!.Value;
        var days = RetentionCutoff.Of(ninetyDays, now)!.Value;

        Assert.True(sixMonths.ExpiresAt(months) <= now);
        Assert.Equal(new DateTimeOffset(2025, 2, 28, 12, 0, 0, TimeSpan.Zero), months);
        Assert.Equal(now, ninetyDays.ExpiresAt(days));
        Assert.True(ninetyDays.ExpiresAt(days.AddTicks(1)) > now);
        Assert.Null(RetentionCutoff.Of(RetentionPeriod.UntilCancellation, now));
    }

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex SixDigits();

    private static List<string> Snapshot(List<LocationPoint> points) =>
        [.. points.Select(p => $"{p.Id}|{p.SubjectId}|{p.RecordedAt:O}|{Convert.ToHexString(p.Coordinates)}").Order(StringComparer.Ordinal)];
}

/// <summary>A target whose first sweep waits until the test releases it, so another sweep can try to run meanwhile.</summary>
internal sealed class GateTarget : IRetentionTarget
{
    private readonly TaskCompletionSource entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int calls;

    public Task Entered => entered.Task;

    public int Calls => Volatile.Read(ref calls);

    public void Release() => released.TrySetResult();

    public async Task<IReadOnlyList<RetentionCount>> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref calls) == 1)
        {
            entered.TrySetResult();
            await released.Task.WaitAsync(cancellationToken);
        }

        return [new RetentionCount("test.gate", 0, 0)];
    }

    public Task<IReadOnlyList<RetentionDue>> DueAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<RetentionDue>>([]);
}

/// <summary>A target that fails, with personal data in its message as a careless one might.</summary>
internal sealed class FailingTarget : IRetentionTarget
{
    public const string PersonalData = "+8613800138000";

    public Task<IReadOnlyList<RetentionCount>> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"cannot delete the row of {PersonalData}");

    public Task<IReadOnlyList<RetentionDue>> DueAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<RetentionDue>>([]);
}
