using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Cessation;

/// <summary>
/// The announced end of the service (S2.5): when it was announced, the day it stops, the deadline for
/// deleting everything (the policy's <c>cessation.deletion_within_days</c> after that day), how many
/// subjects were told, and, once the end has run, its report. There is at most one.
/// </summary>
public sealed class CessationRecord
{
    public Guid Id { get; set; }

    public DateTimeOffset AnnouncedAt { get; set; }

    /// <summary>The moment the service stops (the start of the announced day, UTC); the end runs after it.</summary>
    public DateTimeOffset CeaseAt { get; set; }

    /// <summary>Everything is deleted or anonymized by then.</summary>
    public DateTimeOffset DeletionDueAt { get; set; }

    /// <summary>Who announced it, for example <c>staff:cli</c>.</summary>
    public string Actor { get; set; } = string.Empty;

    /// <summary>How many subjects the notice was queued for; 0 until the notices are queued.</summary>
    public int Notified { get; set; }

    /// <summary>When a node claimed the end's run; a claim older than an hour is taken over.</summary>
    public DateTimeOffset? RunStartedAt { get; set; }

    /// <summary>When the end completed; null until then.</summary>
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>The cessation report as JSON (<see cref="CessationReport"/>); counts only, no personal data.</summary>
    public string? Report { get; set; }
}

internal sealed class CessationRecordConfiguration : IEntityTypeConfiguration<CessationRecord>
{
    public void Configure(EntityTypeBuilder<CessationRecord> builder)
    {
        builder.ToTable("service_cessations");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Actor).HasMaxLength(128);
    }
}
