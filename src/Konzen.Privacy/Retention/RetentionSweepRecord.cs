using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Retention;

/// <summary>How a sweep ended.</summary>
public enum RetentionSweepOutcome
{
    /// <summary>Every target ran and what they removed is committed.</summary>
    Completed,

    /// <summary>Another node held the sweep lock; this node removed nothing (never stored).</summary>
    Skipped,

    /// <summary>A target or the store failed; nothing was removed, the next sweep tries again.</summary>
    Failed,
}

/// <summary>One sweep, as evidence that expiry ran (S2.2): when, on which node, for whom, and how it ended.</summary>
public sealed class RetentionSweepRecord
{
    public Guid Id { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset FinishedAt { get; set; }

    /// <summary>The machine that swept.</summary>
    public string Node { get; set; } = string.Empty;

    /// <summary>Who asked: <c>system</c> for the background sweep, <c>staff:{name}</c> otherwise.</summary>
    public string Actor { get; set; } = string.Empty;

    public RetentionSweepOutcome Outcome { get; set; }

    /// <summary>For a failed sweep, the kind of error (never its message, which could quote data).</summary>
    public string? Error { get; set; }

    public List<RetentionSweepCount> Counts { get; set; } = [];
}

/// <summary>What one sweep removed of one category.</summary>
public sealed class RetentionSweepCount
{
    public Guid SweepId { get; set; }

    public string Category { get; set; } = string.Empty;

    public int Deleted { get; set; }

    public int Anonymized { get; set; }
}

internal sealed class RetentionSweepRecordConfiguration : IEntityTypeConfiguration<RetentionSweepRecord>
{
    public const int TextLength = 128;

    public void Configure(EntityTypeBuilder<RetentionSweepRecord> builder)
    {
        builder.ToTable("retention_sweeps");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Node).HasMaxLength(TextLength);
        builder.Property(s => s.Actor).HasMaxLength(TextLength);
        builder.Property(s => s.Outcome).HasConversion<string>().HasMaxLength(16);
        builder.Property(s => s.Error).HasMaxLength(TextLength);
        builder.HasIndex(s => s.StartedAt);
        builder.HasMany(s => s.Counts).WithOne().HasForeignKey(c => c.SweepId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RetentionSweepCountConfiguration : IEntityTypeConfiguration<RetentionSweepCount>
{
    public void Configure(EntityTypeBuilder<RetentionSweepCount> builder)
    {
        builder.ToTable("retention_sweep_counts");
        builder.HasKey(c => new { c.SweepId, c.Category });
        builder.Property(c => c.Category).HasMaxLength(RetentionSweepRecordConfiguration.TextLength);
    }
}
