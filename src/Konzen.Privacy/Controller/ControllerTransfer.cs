using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Controller;

/// <summary>
/// One change of the controller (S5.5, a merger, acquisition or similar): who hands over to whom,
/// from when, and the policy the new controller is bound to, by version and content hash, so that
/// anyone can check the obligations carried over unchanged.
/// </summary>
public sealed class ControllerTransfer
{
    public Guid Id { get; set; }

    /// <summary>The controller before the transfer.</summary>
    public string From { get; set; } = string.Empty;

    /// <summary>The controller after the transfer.</summary>
    public string To { get; set; } = string.Empty;

    /// <summary>When the new controller takes over.</summary>
    public DateTimeOffset EffectiveAt { get; set; }

    /// <summary>When the transfer was recorded.</summary>
    public DateTimeOffset RecordedAt { get; set; }

    /// <summary>The content hash of the policy the new controller is bound to: the policy in force at the transfer.</summary>
    public string PolicyHash { get; set; } = string.Empty;

    public string PolicyVersion { get; set; } = string.Empty;

    /// <summary>Who recorded it, for example <c>staff:cli</c>.</summary>
    public string Actor { get; set; } = string.Empty;

    /// <summary>How many subjects the notice was enqueued for.</summary>
    public int Notified { get; set; }
}

internal sealed class ControllerTransferConfiguration : IEntityTypeConfiguration<ControllerTransfer>
{
    public void Configure(EntityTypeBuilder<ControllerTransfer> builder)
    {
        builder.ToTable("controller_transfers");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.From).HasMaxLength(ControllerTransfers.MaxNameLength);
        builder.Property(t => t.To).HasMaxLength(ControllerTransfers.MaxNameLength);
        builder.Property(t => t.PolicyHash).HasMaxLength(64);
        builder.Property(t => t.PolicyVersion).HasMaxLength(32);
        builder.Property(t => t.Actor).HasMaxLength(128);
        builder.HasIndex(t => t.RecordedAt);
    }
}
