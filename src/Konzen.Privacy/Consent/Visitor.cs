using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Consent;

/// <summary>
/// An anonymous visitor who made a choice in the consent banner. The ledger keys the visitor's
/// consent events by this id exactly as it keys a subject's, so the gate decides for both the same
/// way. It holds nothing but a random id, the region the choice is kept in and when it was made: the
/// id travels in a first-party cookie set only by that first choice.
/// </summary>
public sealed class Visitor
{
    public Guid Id { get; set; }

    /// <summary>The region the visitor's consent record lives in: the policy's home region (S2.3).</summary>
    public string Region { get; set; } = string.Empty;

    /// <summary>When the visitor first chose.</summary>
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class VisitorConfiguration : IEntityTypeConfiguration<Visitor>
{
    public void Configure(EntityTypeBuilder<Visitor> builder)
    {
        builder.ToTable("visitors");
        builder.HasKey(v => v.Id);
        builder.Property(v => v.Id).ValueGeneratedNever();
        builder.Property(v => v.Region).HasMaxLength(16);
    }
}
