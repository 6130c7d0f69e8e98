using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Sharing;

/// <summary>The declared ground a disclosure rests on (S5.1).</summary>
public enum DisclosureBasis
{
    /// <summary>Every subject consented to the purpose, which may use every category.</summary>
    Consent,

    /// <summary>De-identified data to an advertiser or agent under a valid agreement, k-anonymous (S5.2).</summary>
    DeIdentified,

    /// <summary>Every subject explicitly authorized this recipient for the identifying categories (S5.3).</summary>
    ExplicitAuthorization,

    /// <summary>Every subject consented to the public-disclosure notice (S5.4).</summary>
    PublicDisclosure,

    /// <summary>An approved legal request to an authority (S5.6).</summary>
    LegalException,
}

/// <summary>One disclosure to one recipient.</summary>
/// <param name="Sha256">SHA-256 of exactly the bytes that leave.</param>
/// <param name="KReached">For de-identified data, the k-anonymity the dataset reached.</param>
/// <param name="Actor">Who disclosed: <c>staff:NAME</c> or <c>system</c>.</param>
/// <param name="Description">Non-personal words about the dataset, kept with the disclosure.</param>
public sealed record DisclosureRequest(
    string RecipientId, DisclosureBasis Basis, string Purpose, IReadOnlyList<string> Categories,
    IReadOnlyCollection<Guid> SubjectIds, byte[] Sha256, int? KReached = null, Guid? LegalRequestId = null,
    Guid? PublicNoticeId = null, string Actor = "system", string? Description = null);

/// <summary>Why the gate refused a disclosure; <see cref="None"/> when it allowed it.</summary>
public enum DisclosureRefusal
{
    None,
    UnknownRecipient,
    NoValidAgreement,
    CategoryNotAgreed,
    PurposeNotAgreed,
    NotConsented,
    KTooSmall,
    IdentifyingCategory,
    NotAuthorized,
    NoPublicDisclosureConsent,
    LegalRequestNotApproved,
    OutOfRegion,
    MinorIncluded,
    InvalidRequest,
}

/// <summary>The gate's answer. Fails closed: only <c>Allowed</c> with a <c>DisclosureId</c> means data may leave.</summary>
/// <param name="Detail">One sentence for people, without personal data.</param>
public sealed record DisclosureDecision(bool Allowed, DisclosureRefusal Refusal, string Clause, string Detail, Guid? DisclosureId = null);

/// <summary>A disclosure that happened: to whom, on what basis, what, how many subjects, and the hash of what left.</summary>
public sealed class Disclosure
{
    public Guid Id { get; set; }

    public string RecipientId { get; set; } = string.Empty;

    public DisclosureBasis Basis { get; set; }

    public string Purpose { get; set; } = string.Empty;

    public List<string> Categories { get; set; } = [];

    public int SubjectCount { get; set; }

    public byte[] Sha256 { get; set; } = [];

    public int? KReached { get; set; }

    public Guid? LegalRequestId { get; set; }

    public Guid? PublicNoticeId { get; set; }

    public string Actor { get; set; } = string.Empty;

    public string? Description { get; set; }

    public DateTimeOffset At { get; set; }
}

/// <summary>
/// Links a disclosure to one subject it touched, so that the subject's export lists it and a
/// cancellation finds its recipients. No foreign key to the subject: like consent events, the link
/// stays as evidence under the bare id after the account is cancelled.
/// </summary>
public sealed class DisclosureSubject
{
    public Guid DisclosureId { get; set; }

    public Guid SubjectId { get; set; }
}

internal sealed class DisclosureConfiguration : IEntityTypeConfiguration<Disclosure>
{
    public void Configure(EntityTypeBuilder<Disclosure> builder)
    {
        builder.ToTable("disclosures");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.RecipientId).HasMaxLength(RecipientConfiguration.IdLength);
        builder.Property(d => d.Basis).HasConversion<string>().HasMaxLength(32);
        builder.Property(d => d.Purpose).HasMaxLength(128);
        builder.Property(d => d.Sha256).HasMaxLength(32);
        builder.Property(d => d.Actor).HasMaxLength(128);
        builder.Property(d => d.Description).HasMaxLength(500);
        builder.HasOne<Recipient>().WithMany().HasForeignKey(d => d.RecipientId).OnDelete(DeleteBehavior.Restrict);

        // The transparency report counts by time.
        builder.HasIndex(d => d.At);
    }
}

internal sealed class DisclosureSubjectConfiguration : IEntityTypeConfiguration<DisclosureSubject>
{
    public void Configure(EntityTypeBuilder<DisclosureSubject> builder)
    {
        builder.ToTable("disclosure_subjects");
        builder.HasKey(d => new { d.DisclosureId, d.SubjectId });
        builder.HasOne<Disclosure>().WithMany().HasForeignKey(d => d.DisclosureId).OnDelete(DeleteBehavior.Cascade);

        // An export and a cancellation look up one subject's disclosures.
        builder.HasIndex(d => d.SubjectId);
    }
}
