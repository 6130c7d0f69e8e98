using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Staff;

/// <summary>
/// A member of Konzen's privacy staff who may call the admin endpoints. Only the SHA-256 of the
/// member's token is stored: a copy of the database lets nobody act as staff.
/// </summary>
public sealed class StaffMember
{
    public Guid Id { get; set; }

    /// <summary>Lower-case letters, digits, '.', '-' and '_'; audit entries name the member as <c>staff:{Name}</c>.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>SHA-256 of the token's 32 random bytes.</summary>
    public byte[] TokenHash { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the member's token stopped working; null while it works.</summary>
    public DateTimeOffset? DisabledAt { get; set; }
}

internal sealed class StaffMemberConfiguration : IEntityTypeConfiguration<StaffMember>
{
    public const int NameLength = 64;

    public void Configure(EntityTypeBuilder<StaffMember> builder)
    {
        builder.ToTable("staff_members");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Name).HasMaxLength(NameLength);
        builder.HasIndex(s => s.Name).IsUnique();
        builder.Property(s => s.TokenHash).HasMaxLength(32);
        builder.HasIndex(s => s.TokenHash).IsUnique();
    }
}
