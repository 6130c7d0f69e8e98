using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Sharing;

/// <summary>What kind of third party a recipient is; advertisers and their agents are bound by a policy recipient class.</summary>
public enum RecipientKind
{
    Advertiser,
    AdvertisingAgent,
    Processor,
    Authority,
}

/// <summary>
/// A third party that may receive personal information: the categories and purposes it may receive
/// (for advertisers and agents a subset of what the policy allows their class), its region, and its
/// agreements. Nothing goes to it without a valid agreement, except legal-exception disclosures to an authority.
/// </summary>
public sealed class Recipient
{
    /// <summary>A slug such as <c>acme-ads</c>.</summary>
    public string Id { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    public RecipientKind Kind { get; set; }

    /// <summary>The policy's recipient class (such as <c>advertisers</c>); null for processors and authorities.</summary>
    public string? PolicyClass { get; set; }

    /// <summary>Where the recipient processes what it receives, for example CN.</summary>
    public string Region { get; set; } = string.Empty;

    public List<string> Categories { get; set; } = [];

    public List<string> Purposes { get; set; } = [];

    /// <summary>The recipient's business contact, for deletion notices; not a data subject's address.</summary>
    public string? ContactEmail { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public List<RecipientAgreement> Agreements { get; set; } = [];

    /// <summary>A valid agreement is one signed on or before <paramref name="now"/> and expiring after it.</summary>
    public bool HasValidAgreement(DateTimeOffset now) => Agreements.Any(a => a.IsValidAt(now));
}

/// <summary>A data-processing agreement or commitment letter with a recipient.</summary>
public sealed class RecipientAgreement
{
    public const string DataProcessingAgreement = "data-processing-agreement";
    public const string CommitmentLetter = "commitment-letter";

    public Guid Id { get; set; }

    public string RecipientId { get; set; } = string.Empty;

    /// <summary><see cref="DataProcessingAgreement"/> or <see cref="CommitmentLetter"/>.</summary>
    public string Kind { get; set; } = string.Empty;

    /// <summary>The agreement's own reference, for example a contract number.</summary>
    public string Reference { get; set; } = string.Empty;

    public DateTimeOffset SignedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset AddedAt { get; set; }

    public string AddedBy { get; set; } = string.Empty;

    public bool IsValidAt(DateTimeOffset now) => SignedAt <= now && ExpiresAt > now;
}

internal sealed class RecipientConfiguration : IEntityTypeConfiguration<Recipient>
{
    public const int IdLength = 64;

    public void Configure(EntityTypeBuilder<Recipient> builder)
    {
        builder.ToTable("recipients");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Id).HasMaxLength(IdLength);
        builder.Property(r => r.Name).HasMaxLength(200);
        builder.Property(r => r.Kind).HasConversion<string>().HasMaxLength(32);
        builder.Property(r => r.PolicyClass).HasMaxLength(64);
        builder.Property(r => r.Region).HasMaxLength(16);
        builder.Property(r => r.ContactEmail).HasMaxLength(254);
        builder.HasMany(r => r.Agreements).WithOne().HasForeignKey(a => a.RecipientId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RecipientAgreementConfiguration : IEntityTypeConfiguration<RecipientAgreement>
{
    public void Configure(EntityTypeBuilder<RecipientAgreement> builder)
    {
        builder.ToTable("recipient_agreements");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.RecipientId).HasMaxLength(RecipientConfiguration.IdLength);
        builder.Property(a => a.Kind).HasMaxLength(32);
        builder.Property(a => a.Reference).HasMaxLength(200);
        builder.Property(a => a.AddedBy).HasMaxLength(128);
    }
}
