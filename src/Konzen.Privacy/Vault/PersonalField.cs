using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Vault;

/// <summary>
/// One personal field of a subject, encrypted with AES-256-GCM under the subject's data key. The
/// associated data binds the ciphertext to (subject, field): moved to another row it fails to decrypt.
/// </summary>
public sealed class PersonalField : Residency.ISubjectData
{
    public Guid SubjectId { get; set; }

    /// <summary>The policy's category key, for example <c>user.contact.email</c>.</summary>
    public string Field { get; set; } = string.Empty;

    /// <summary>Nonce, ciphertext and tag, as written by the vault.</summary>
    public byte[] Ciphertext { get; set; } = [];

    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class PersonalFieldConfiguration : IEntityTypeConfiguration<PersonalField>
{
    public void Configure(EntityTypeBuilder<PersonalField> builder)
    {
        builder.ToTable("personal_fields");
        builder.HasKey(f => new { f.SubjectId, f.Field });
        builder.Property(f => f.Field).HasMaxLength(128);
        builder.HasOne<Subjects.Subject>().WithMany().HasForeignKey(f => f.SubjectId).OnDelete(DeleteBehavior.Cascade);
    }
}
