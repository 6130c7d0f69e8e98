using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Incidents;

/// <summary>
/// A security incident (S3.3): when it happened and was detected, which categories of which stores it
/// touched, its cause and the measures taken, and what the system did about it: how many subjects it
/// found and notified, and when the privacy officer was told. Staff text only; no personal data.
/// </summary>
public sealed class Incident
{
    public Guid Id { get; set; }

    public DateTimeOffset RecordedAt { get; set; }

    public DateTimeOffset DetectedAt { get; set; }

    public DateTimeOffset OccurredFrom { get; set; }

    public DateTimeOffset OccurredTo { get; set; }

    /// <summary>The policy's category keys, space-separated.</summary>
    public string Categories { get; set; } = string.Empty;

    /// <summary>The policy's store ids, space-separated.</summary>
    public string Stores { get; set; } = string.Empty;

    public string Cause { get; set; } = string.Empty;

    public string Measures { get; set; } = string.Empty;

    /// <summary>Who recorded it, for example <c>staff:ana</c>.</summary>
    public string Actor { get; set; } = string.Empty;

    /// <summary>The subjects found with data of those categories in those stores in the window.</summary>
    public int SubjectsAffected { get; set; }

    /// <summary>The subjects the notice was queued for.</summary>
    public int SubjectsNotified { get; set; }

    public DateTimeOffset? SubjectsNotifiedAt { get; set; }

    /// <summary>When the mail to the privacy officer went out; null when it failed or no address is known.</summary>
    public DateTimeOffset? OfficerNotifiedAt { get; set; }

    /// <summary>Why the officer's mail did not go out: an error type or <c>no-address</c>, never a message text.</summary>
    public string? OfficerError { get; set; }

    /// <summary>What the search found, as JSON (<see cref="IncidentFindings"/>): counts per category and the stores it cannot search.</summary>
    public string Findings { get; set; } = "{}";
}

/// <summary>One subject an incident affected: ids only, so the subject's own view and export can name the incident.</summary>
public sealed class IncidentSubject : Residency.ISubjectData
{
    public Guid IncidentId { get; set; }

    public Guid SubjectId { get; set; }
}

internal sealed class IncidentConfiguration : IEntityTypeConfiguration<Incident>
{
    public void Configure(EntityTypeBuilder<Incident> builder)
    {
        builder.ToTable("incidents");
        builder.HasKey(i => i.Id);
        builder.Property(i => i.Categories).HasMaxLength(2048);
        builder.Property(i => i.Stores).HasMaxLength(512);
        builder.Property(i => i.Cause).HasMaxLength(SecurityIncidents.MaxTextLength);
        builder.Property(i => i.Measures).HasMaxLength(SecurityIncidents.MaxTextLength);
        builder.Property(i => i.Actor).HasMaxLength(128);
        builder.Property(i => i.OfficerError).HasMaxLength(64);
        builder.HasIndex(i => i.RecordedAt);
    }
}

internal sealed class IncidentSubjectConfiguration : IEntityTypeConfiguration<IncidentSubject>
{
    public void Configure(EntityTypeBuilder<IncidentSubject> builder)
    {
        builder.ToTable("incident_subjects");
        builder.HasKey(s => new { s.IncidentId, s.SubjectId });
        builder.HasIndex(s => s.SubjectId);
        builder.HasOne<Incident>().WithMany().HasForeignKey(s => s.IncidentId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Subjects.Subject>().WithMany().HasForeignKey(s => s.SubjectId).OnDelete(DeleteBehavior.Cascade);
    }
}
