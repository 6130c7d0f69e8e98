using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Subjects;

/// <summary>
/// A data subject's account. It holds no personal data in the clear: contact details are
/// <see cref="Vault.PersonalField"/> rows encrypted under the subject's key, and lookups go through
/// keyed blind indexes.
/// </summary>
public sealed class Subject
{
    public Guid Id { get; set; }

    /// <summary>The region the subject's data lives in (S2.3), for example CN.</summary>
    public string Region { get; set; } = string.Empty;

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Content hash of the policy version the subject accepted at registration (S0.3).</summary>
    public string AcceptedPolicyHash { get; set; } = string.Empty;

    /// <summary>HMAC of the normalized email address; unique; null when the subject gave none.</summary>
    public byte[]? EmailIndex { get; set; }

    /// <summary>HMAC of the E.164 phone number; unique; null when the subject gave none.</summary>
    public byte[]? PhoneIndex { get; set; }

    /// <summary>The password as ASP.NET Core Identity's <c>PasswordHasher</c> hashed it (PBKDF2, salted); never the password.</summary>
    public string PasswordHash { get; set; } = string.Empty;

    public int FailedLogins { get; set; }

    public DateTimeOffset? LockedUntil { get; set; }
}

internal sealed class SubjectConfiguration : IEntityTypeConfiguration<Subject>
{
    public void Configure(EntityTypeBuilder<Subject> builder)
    {
        builder.ToTable("subjects");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Region).HasMaxLength(16);
        builder.Property(s => s.AcceptedPolicyHash).HasMaxLength(64);
        builder.Property(s => s.EmailIndex).HasMaxLength(32);
        builder.Property(s => s.PhoneIndex).HasMaxLength(32);
        builder.Property(s => s.PasswordHash).HasMaxLength(256);
        builder.HasIndex(s => s.EmailIndex).IsUnique();
        builder.HasIndex(s => s.PhoneIndex).IsUnique();
    }
}
