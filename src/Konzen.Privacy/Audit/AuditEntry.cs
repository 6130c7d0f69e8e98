using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Audit;

/// <summary>
/// One entry of the append-only, hash-chained audit log. It names who did what to whose data and
/// for which purpose, never the data itself. <see cref="Sequence"/> is assigned by the log as the
/// previous entry's plus one while it holds the chain (see <see cref="AuditLog"/>); being the key,
/// it also makes any two writers that did race for one place collide instead of forking the chain.
/// </summary>
public sealed class AuditEntry
{
    public long Sequence { get; set; }

    /// <summary>When the entry was appended, to the whole millisecond (which both stores keep exactly).</summary>
    public DateTimeOffset At { get; set; }

    /// <summary>Who acted: <c>subject:{id}</c>, <c>staff:{name}</c> or <c>system</c>.</summary>
    public string Actor { get; set; } = string.Empty;

    /// <summary>What happened, for example <c>field.read</c>, <c>consent.withdrawn</c>, <c>keys.rotated</c>.</summary>
    public string Action { get; set; } = string.Empty;

    public Guid? SubjectId { get; set; }

    /// <summary>The category key the action touched, if any.</summary>
    public string? Field { get; set; }

    /// <summary>The purpose the action served, if any.</summary>
    public string? Purpose { get; set; }

    /// <summary>Non-personal detail, such as the gate's reason or a count.</summary>
    public string? Detail { get; set; }

    /// <summary>SHA-256 of the previous entry (32 zero bytes for the first).</summary>
    public byte[] PreviousHash { get; set; } = [];

    /// <summary>SHA-256 over <see cref="PreviousHash"/> and this entry's canonical form.</summary>
    public byte[] Hash { get; set; } = [];
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public const int ActorLength = 128;
    public const int ActionLength = 64;
    public const int KeyLength = 128;

    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable("audit_entries");
        builder.HasKey(e => e.Sequence);
        builder.Property(e => e.Sequence).ValueGeneratedNever();
        builder.Property(e => e.Actor).HasMaxLength(ActorLength);
        builder.Property(e => e.Action).HasMaxLength(ActionLength);
        builder.Property(e => e.Field).HasMaxLength(KeyLength);
        builder.Property(e => e.Purpose).HasMaxLength(KeyLength);
        builder.Property(e => e.PreviousHash).HasMaxLength(AuditChain.HashSize);
        builder.Property(e => e.Hash).HasMaxLength(AuditChain.HashSize);
        builder.HasIndex(e => e.SubjectId);
    }
}
