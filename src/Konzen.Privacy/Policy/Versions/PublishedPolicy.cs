using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Policy.Versions;

/// <summary>
/// One published version of the policy (S7.1): its text exactly as published, the day it takes effect
/// and who published it. Every node reads the same rows, so every node switches to a version at the
/// same instant without being told to. Rows are only ever added.
/// </summary>
public sealed class PublishedPolicy
{
    /// <summary>1 for the policy the service first started with, then one more per publication.</summary>
    public int Sequence { get; set; }

    /// <summary>The version number the file gives (<c>policy.version</c>), for example <c>1.1.0</c>.</summary>
    public string Number { get; set; } = string.Empty;

    /// <summary>The instant the version takes effect (midnight UTC of the effective day).</summary>
    public DateTimeOffset EffectiveAt { get; set; }

    /// <summary>Lower-case hex SHA-256 of the canonical form of the policy, as consent events and registrations name it.</summary>
    public string ContentHash { get; set; } = string.Empty;

    /// <summary>The policy file's text as published.</summary>
    public string Yaml { get; set; } = string.Empty;

    public DateTimeOffset PublishedAt { get; set; }

    /// <summary>Who published it, for example <c>staff:cli</c>, or <c>system</c> for the first version.</summary>
    public string PublishedBy { get; set; } = string.Empty;

    /// <summary>How many subjects the notice of this version was queued for.</summary>
    public int Notified { get; set; }
}

internal sealed class PublishedPolicyConfiguration : IEntityTypeConfiguration<PublishedPolicy>
{
    public void Configure(EntityTypeBuilder<PublishedPolicy> builder)
    {
        builder.ToTable("policy_versions");
        builder.HasKey(p => p.Sequence);

        // Assigned by the publisher (last + 1), so that two publications racing on two nodes collide
        // on the key instead of both succeeding.
        builder.Property(p => p.Sequence).ValueGeneratedNever();
        builder.Property(p => p.Number).HasMaxLength(32);
        builder.Property(p => p.ContentHash).HasMaxLength(64);
        builder.Property(p => p.PublishedBy).HasMaxLength(128);
        builder.HasIndex(p => p.ContentHash).IsUnique();
    }
}
