using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Rights;

/// <summary>Where an account cancellation stands.</summary>
public enum CancellationStatus
{
    /// <summary>A code went to a verified address; nothing is scheduled until it is entered.</summary>
    AwaitingCode,

    /// <summary>Confirmed; completes at <see cref="CancellationRequest.DueAt"/> unless the subject undoes it first.</summary>
    Scheduled,

    /// <summary>The subject undid it during the cooling-off period; the account goes on as before.</summary>
    Undone,

    /// <summary>The subject's key is destroyed and its data deleted or anonymized.</summary>
    Completed,
}

/// <summary>
/// One account cancellation (S6.4). It holds no personal data: the code and the certificate token
/// are kept only as hashes. Once completed, this row is the subject's tombstone: the subject row is
/// gone, and what remains says only that an account with this id was cancelled, and when.
/// </summary>
public sealed class CancellationRequest
{
    public Guid Id { get; set; }

    /// <summary>No foreign key: the row outlives the subject, as its tombstone.</summary>
    public Guid SubjectId { get; set; }

    public CancellationStatus Status { get; set; }

    /// <summary>The channel the confirmation code went to (email or phone).</summary>
    public string Channel { get; set; } = string.Empty;

    /// <summary>HMAC of the confirmation code (see <see cref="Subjects.SubjectSecrets"/>).</summary>
    public byte[] CodeHash { get; set; } = [];

    public DateTimeOffset CodeExpiresAt { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset RequestedAt { get; set; }

    public DateTimeOffset? ConfirmedAt { get; set; }

    /// <summary>When the cooling-off period ends and the cancellation may complete.</summary>
    public DateTimeOffset? DueAt { get; set; }

    public DateTimeOffset? UndoneAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>SHA-256 of the one-time token that fetches the certificate; cleared once it is fetched.</summary>
    public byte[]? TokenHash { get; set; }

    /// <summary>The signed deletion certificate (JWS), until the subject fetches it.</summary>
    public string? Certificate { get; set; }

    public DateTimeOffset? CertificateFetchedAt { get; set; }
}

internal sealed class CancellationRequestConfiguration : IEntityTypeConfiguration<CancellationRequest>
{
    public void Configure(EntityTypeBuilder<CancellationRequest> builder)
    {
        builder.ToTable("cancellation_requests");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.Channel).HasMaxLength(8);
        builder.Property(c => c.CodeHash).HasMaxLength(32);
        builder.Property(c => c.TokenHash).HasMaxLength(32);
        builder.HasIndex(c => c.SubjectId);

        // The completer reads the scheduled ones that are due.
        builder.HasIndex(c => new { c.Status, c.DueAt });
    }
}
