using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Residency;

/// <summary>
/// One separate consent to, or withdrawal from, a declared cross-border transfer (S2.4). Only ever
/// appended: the subject's current choice is the latest row for the transfer, and the history stays whole.
/// </summary>
public sealed class TransferConsent : ISubjectData
{
    /// <summary>Assigned by the store; orders a subject's rows.</summary>
    public long Id { get; set; }

    public Guid SubjectId { get; set; }

    /// <summary>The declared transfer's id in the policy.</summary>
    public string TransferId { get; set; } = string.Empty;

    /// <summary>
    /// SHA-256 (hex) of the notice text the subject was shown when consenting; null for a withdrawal
    /// made without naming a current notice (withdrawing never needs one).
    /// </summary>
    public string? NoticeHash { get; set; }

    /// <summary>The language of that notice, <c>en</c> or <c>zh-CN</c>; null with <see cref="NoticeHash"/>.</summary>
    public string? Language { get; set; }

    public bool Granted { get; set; }

    public DateTimeOffset At { get; set; }
}

internal sealed class TransferConsentConfiguration : IEntityTypeConfiguration<TransferConsent>
{
    public void Configure(EntityTypeBuilder<TransferConsent> builder)
    {
        builder.ToTable("transfer_consents");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).ValueGeneratedOnAdd();
        builder.Property(c => c.TransferId).HasMaxLength(64);
        builder.Property(c => c.NoticeHash).HasMaxLength(64);
        builder.Property(c => c.Language).HasMaxLength(8);

        // A decision reads the latest row of one subject and transfer.
        builder.HasIndex(c => new { c.SubjectId, c.TransferId, c.Id });
        builder.HasOne<Subjects.Subject>().WithMany().HasForeignKey(c => c.SubjectId).OnDelete(DeleteBehavior.Cascade);
    }
}
