using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Rights;

/// <summary>What a request asks for.</summary>
public enum RequestKind
{
    Access,
    Correction,
    Deletion,
    Withdrawal,
    Cancellation,
    Complaint,
    Report,
    Question,
}

/// <summary>Where a request stands.</summary>
public enum RequestStatus
{
    Received,
    InProgress,
    Answered,
    Closed,
    Escalated,
}

/// <summary>
/// A request or complaint (S6.2, S6.3, S0.4), with its legal deadline. The texts people write (the
/// request, and the answer and extension reason written to them) are sealed: under the subject's data
/// key, or for an anonymous report under the requests key, bound to this request and field.
/// </summary>
public sealed class PrivacyRequest
{
    public const int ChannelLength = 64;

    public Guid Id { get; set; }

    /// <summary>The subject who filed it; null for an anonymous report.</summary>
    public Guid? SubjectId { get; set; }

    public RequestKind Kind { get; set; }

    public RequestStatus Status { get; set; }

    /// <summary>The policy's contact channel id it came through (S0.4).</summary>
    public string Channel { get; set; } = string.Empty;

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the deadline ends (midnight China time after its last working day).</summary>
    public DateTimeOffset DueAt { get; set; }

    /// <summary>True when a day counted lies in a year without a calendar file (Monday to Friday assumed).</summary>
    public bool DueEstimated { get; set; }

    /// <summary>The deadline before the one extension; null until extended.</summary>
    public DateTimeOffset? OriginalDueAt { get; set; }

    /// <summary>The staff member handling it.</summary>
    public string? Assignee { get; set; }

    public byte[] Text { get; set; } = [];

    public byte[]? Answer { get; set; }

    public byte[]? ExtensionReason { get; set; }

    public DateTimeOffset? AnsweredAt { get; set; }

    /// <summary>SHA-256 of an anonymous reporter's follow-up token; null for a subject's request.</summary>
    public byte[]? TokenHash { get; set; }

    public List<PrivacyRequestEvent> Events { get; set; } = [];
}

/// <summary>One change of a request's status (or of its assignee or deadline), append-only.</summary>
public sealed class PrivacyRequestEvent
{
    public const int NoteLength = 200;

    public long Id { get; set; }

    public Guid RequestId { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary><c>subject:{id}</c>, <c>anonymous</c>, <c>staff:{name}</c> or <c>system</c>.</summary>
    public string Actor { get; set; } = string.Empty;

    public RequestStatus? From { get; set; }

    public RequestStatus To { get; set; }

    /// <summary>What the system says about the change; never text a person wrote.</summary>
    public string? Note { get; set; }
}

internal sealed class PrivacyRequestConfiguration : IEntityTypeConfiguration<PrivacyRequest>
{
    public void Configure(EntityTypeBuilder<PrivacyRequest> builder)
    {
        builder.ToTable("privacy_requests");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.Channel).HasMaxLength(PrivacyRequest.ChannelLength);
        builder.Property(r => r.Assignee).HasMaxLength(64);
        builder.Property(r => r.TokenHash).HasMaxLength(32);
        builder.HasIndex(r => r.SubjectId);
        // The staff list and the escalation read open requests by deadline.
        builder.HasIndex(r => new { r.Status, r.DueAt });
        builder.HasMany(r => r.Events).WithOne().HasForeignKey(e => e.RequestId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class PrivacyRequestEventConfiguration : IEntityTypeConfiguration<PrivacyRequestEvent>
{
    public void Configure(EntityTypeBuilder<PrivacyRequestEvent> builder)
    {
        builder.ToTable("privacy_request_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Actor).HasMaxLength(80);
        builder.Property(e => e.From).HasConversion<string>().HasMaxLength(16);
        builder.Property(e => e.To).HasConversion<string>().HasMaxLength(16);
        builder.Property(e => e.Note).HasMaxLength(PrivacyRequestEvent.NoteLength);
        builder.HasIndex(e => e.RequestId);
    }
}
