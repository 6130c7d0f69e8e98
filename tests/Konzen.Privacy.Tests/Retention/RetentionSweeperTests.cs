using Konzen.Privacy.Collection;
using Konzen.Privacy.Retention;
using Konzen.Privacy.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Tests.Retention;

/// <summary>The background sweep, driven by the fake clock: each test advances time and waits for the sweep the tick starts.</summary>
public sealed class RetentionSweeperTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.2")]
    public async Task Sweeper_AfterTheClockPassesARetention_DeletesOnTheNextTickAsSystem(DatabaseProvider provider)
    {
        await using var bed = await RetentionBed.CreateAsync(provider, Cancel);
        var subject = await bed.AddLocatedSubjectAsync(Cancel);
        await bed.RecordPointAsync(subject, Cancel);

        // The clock jumps past the retention before the sweeper starts: the fake clock fires every
        // period it jumps over, which a running sweeper would answer with thousands of sweeps.
        bed.Time.Advance(TimeSpan.FromDays(90));
        var sweeper = bed.Services.GetRequiredService<RetentionSweeper>();
        await sweeper.StartAsync(Cancel);
        var first = sweeper.NextRun;
        bed.Time.Advance(TimeSpan.FromMinutes(59));
        Assert.Single(await bed.RowsAsync<LocationPoint>(Cancel));
        bed.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(RetentionSweepOutcome.Completed, await first.WaitAsync(Deadline, Cancel));
        Assert.Empty(await bed.RowsAsync<LocationPoint>(Cancel));

        var second = sweeper.NextRun;
        bed.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(RetentionSweepOutcome.Completed, await second.WaitAsync(Deadline, Cancel));
        await sweeper.StopAsync(Cancel);

        var records = await bed.SweepRecordsAsync(Cancel);
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.Equal((RetentionSweep.SystemActor, RetentionSweepOutcome.Completed), (r.Actor, r.Outcome)));
        Assert.Equal([RetentionBed.Start.AddDays(90).AddHours(1), RetentionBed.Start.AddDays(90).AddHours(2)], records.Select(r => r.StartedAt));
        Assert.Equal([1, 0], records.Select(r => r.Counts.Single(c => c.Category == LocationIntake.PreciseCategory).Deleted));
    }

    [Fact]
    public async Task Sweeper_WhenASweepFails_LogsNoPersonalDataAndSweepsAgainNextTick()
    {
        var failures = 1;
        await using var bed = await RetentionBed.CreateAsync(DatabaseProvider.Sqlite, Cancel, services =>
            services.AddScoped<IRetentionTarget>(_ => Interlocked.Decrement(ref failures) >= 0 ? new FailingTarget() : new EmptyTarget()));
        var sweeper = bed.Services.GetRequiredService<RetentionSweeper>();
        await sweeper.StartAsync(Cancel);

        var first = sweeper.NextRun;
        bed.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(RetentionSweepOutcome.Failed, await first.WaitAsync(Deadline, Cancel));
        var second = sweeper.NextRun;
        bed.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(RetentionSweepOutcome.Completed, await second.WaitAsync(Deadline, Cancel));
        await sweeper.StopAsync(Cancel);

        Assert.Equal([RetentionSweepOutcome.Failed, RetentionSweepOutcome.Completed], (await bed.SweepRecordsAsync(Cancel)).Select(r => r.Outcome));
        Assert.Contains(bed.Logs.Lines, l => l.Contains("Retention sweep failed (InvalidOperationException)", StringComparison.Ordinal));
        Assert.DoesNotContain(bed.Logs.Lines, l => l.Contains(FailingTarget.PersonalData, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sweeper_Disabled_NeverSweeps()
    {
        await using var bed = await RetentionBed.CreateAsync(DatabaseProvider.Sqlite, Cancel, settings: new Dictionary<string, string?> { ["Retention:Enabled"] = "false" });
        var sweeper = bed.Services.GetRequiredService<RetentionSweeper>();
        await sweeper.StartAsync(Cancel);

        bed.Time.Advance(TimeSpan.FromDays(2));
        await (sweeper.ExecuteTask ?? Task.CompletedTask).WaitAsync(Deadline, Cancel);

        Assert.False(sweeper.NextRun.IsCompleted);
        Assert.Empty(await bed.SweepRecordsAsync(Cancel));
    }

    [Theory]
    [InlineData("00:00:30")]
    [InlineData("2.00:00:00")]
    public async Task Options_IntervalOutOfRange_AreRefused(string interval)
    {
        await using var bed = await RetentionBed.CreateAsync(DatabaseProvider.Sqlite, Cancel, settings: new Dictionary<string, string?> { ["Retention:Interval"] = interval });

        var error = Assert.Throws<OptionsValidationException>(() => bed.Services.GetRequiredService<IOptions<RetentionOptions>>().Value);

        Assert.Contains("Interval", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Defaults_AreHourlyAndOn()
    {
        var options = new RetentionOptions();

        Assert.Equal((TimeSpan.FromHours(1), true), (options.Interval, options.Enabled));
    }

    /// <summary>A target with nothing to remove.</summary>
    private sealed class EmptyTarget : IRetentionTarget
    {
        public Task<IReadOnlyList<RetentionCount>> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<RetentionCount>>([]);

        public Task<IReadOnlyList<RetentionDue>> DueAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<RetentionDue>>([]);
    }
}
