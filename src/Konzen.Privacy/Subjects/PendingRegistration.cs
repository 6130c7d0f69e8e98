using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Subjects;

/// <summary>
/// A registration waiting for its codes. What the person entered (addresses, password hash, birth
/// date, accepted policy) is sealed in <see cref="Payload"/>: it is personal data, and no subject
/// key exists yet to encrypt it under. The row is deleted when the subject is created.
/// </summary>
public sealed class PendingRegistration
{
    /// <summary>The registration's id; it becomes the subject's id, so the audit trail joins up.</summary>
    public Guid Id { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>AES-256-GCM over the entered details, bound to <see cref="Id"/>.</summary>
    public byte[] Payload { get; set; } = [];
}

internal sealed class PendingRegistrationConfiguration : IEntityTypeConfiguration<PendingRegistration>
{
    public void Configure(EntityTypeBuilder<PendingRegistration> builder)
    {
        builder.ToTable("pending_registrations");
        builder.HasKey(r => r.Id);
        builder.HasIndex(r => r.ExpiresAt);
    }
}
