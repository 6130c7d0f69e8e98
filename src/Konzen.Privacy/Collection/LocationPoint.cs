using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Collection;

/// <summary>How the device found its position.</summary>
public enum LocationSource
{
    Gps,
    Wifi,
}

/// <summary>
/// One reported position of a subject. The coordinates are sealed under the subject's data key with
/// associated data that names the subject and this row, so nothing stored in the clear reveals the place.
/// </summary>
public sealed class LocationPoint : Residency.ISubjectData
{
    public Guid Id { get; set; }

    public Guid SubjectId { get; set; }

    /// <summary>The device's time of the fix.</summary>
    public DateTimeOffset RecordedAt { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    public LocationSource Source { get; set; }

    /// <summary>Accuracy radius in metres, as the device reported it.</summary>
    public double Accuracy { get; set; }

    /// <summary>"latitude,longitude", sealed by the vault's cipher.</summary>
    public byte[] Coordinates { get; set; } = [];
}

/// <summary>Whether the subject's device reports positioning on, and since when; no row means on.</summary>
public sealed class PositioningState : Residency.ISubjectData
{
    public Guid SubjectId { get; set; }

    public bool On { get; set; }

    public DateTimeOffset Since { get; set; }
}

internal sealed class LocationPointConfiguration : IEntityTypeConfiguration<LocationPoint>
{
    public void Configure(EntityTypeBuilder<LocationPoint> builder)
    {
        builder.ToTable("location_points");
        builder.HasKey(p => p.Id);
        builder.HasIndex(p => new { p.SubjectId, p.RecordedAt });

        // The retention sweep deletes and finds the oldest by time across all subjects.
        builder.HasIndex(p => p.RecordedAt);
        builder.Property(p => p.Source).HasConversion<string>().HasMaxLength(8);
        builder.HasOne<Subjects.Subject>().WithMany().HasForeignKey(p => p.SubjectId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class PositioningStateConfiguration : IEntityTypeConfiguration<PositioningState>
{
    public void Configure(EntityTypeBuilder<PositioningState> builder)
    {
        builder.ToTable("positioning_states");
        builder.HasKey(p => p.SubjectId);
        builder.HasOne<Subjects.Subject>().WithMany().HasForeignKey(p => p.SubjectId).OnDelete(DeleteBehavior.Cascade);
    }
}
