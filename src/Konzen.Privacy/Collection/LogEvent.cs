using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Collection;

/// <summary>
/// One stored log event (S1.5): who sent it only as a pseudonym, what it serves, when, and its
/// content sealed. Rows are written in bulk by <see cref="EventWriter"/>, never through the change tracker.
/// </summary>
public sealed class LogEvent
{
    public long Id { get; set; }

    /// <summary>The actor's pseudonym for the period the event arrived in (<see cref="EventPseudonym"/>).</summary>
    public long PseudonymId { get; set; }

    /// <summary>The policy purpose key the event serves, for example <c>analytics.reporting</c>.</summary>
    public string Purpose { get; set; } = string.Empty;

    /// <summary>The policy category key of its content, for example <c>user.behavior.clicks</c>.</summary>
    public string Category { get; set; } = string.Empty;

    /// <summary>page-view, click, device or search.</summary>
    public string Type { get; set; } = string.Empty;

    /// <summary>When it happened, by the client's clock, to the second.</summary>
    public DateTimeOffset At { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>The sender's address cut to its network (IPv4 /24, IPv6 /48); only for purposes allowed the IP address.</summary>
    public string? Ip { get; set; }

    /// <summary>True when <see cref="Payload"/> is sealed under the subject's data key, false under the period's event key.</summary>
    public bool SubjectSealed { get; set; }

    /// <summary>Page, target and data as JSON, sealed with AES-256-GCM (see <see cref="EventSeal"/>).</summary>
    public byte[] Payload { get; set; } = [];
}

/// <summary>
/// A compact key for one actor in one period: the row holds the HMAC of the actor's id under the
/// period's key, never the id. Events carry this row's 8-byte id, so their index stays small.
/// </summary>
public sealed class EventPseudonym
{
    public long Id { get; set; }

    /// <summary>The pseudonymization period (<see cref="EpochKeys"/>).</summary>
    public int Epoch { get; set; }

    /// <summary>HMAC-SHA256(period key, actor), 32 bytes.</summary>
    public byte[] Hmac { get; set; } = [];
}

internal sealed class LogEventConfiguration : IEntityTypeConfiguration<LogEvent>
{
    public void Configure(EntityTypeBuilder<LogEvent> builder)
    {
        builder.ToTable("log_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).HasColumnName("id");
        builder.Property(e => e.PseudonymId).HasColumnName("pseudonym_id");
        builder.Property(e => e.Purpose).HasColumnName("purpose").HasMaxLength(64);
        builder.Property(e => e.Category).HasColumnName("category").HasMaxLength(64);
        builder.Property(e => e.Type).HasColumnName("type").HasMaxLength(16);
        builder.Property(e => e.At).HasColumnName("at");
        builder.Property(e => e.ReceivedAt).HasColumnName("received_at");
        builder.Property(e => e.Ip).HasColumnName("ip").HasMaxLength(64);
        builder.Property(e => e.SubjectSealed).HasColumnName("subject_sealed");
        builder.Property(e => e.Payload).HasColumnName("payload");

        // One actor's events in time order (export, access requests), and the retention sweep's
        // "this category, older than" range delete. Both keys are small integers or short text,
        // and a batch adds rows at one end of each, which keeps the bulk insert fast.
        builder.HasIndex(e => new { e.PseudonymId, e.At });
        builder.HasIndex(e => new { e.Category, e.At });
        builder.HasOne<EventPseudonym>().WithMany().HasForeignKey(e => e.PseudonymId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class EventPseudonymConfiguration : IEntityTypeConfiguration<EventPseudonym>
{
    public void Configure(EntityTypeBuilder<EventPseudonym> builder)
    {
        builder.ToTable("event_pseudonyms");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Id).HasColumnName("id");
        builder.Property(p => p.Epoch).HasColumnName("epoch");
        builder.Property(p => p.Hmac).HasColumnName("hmac").HasMaxLength(32);
        builder.HasIndex(p => p.Hmac).IsUnique();
        builder.HasIndex(p => p.Epoch);
    }
}
