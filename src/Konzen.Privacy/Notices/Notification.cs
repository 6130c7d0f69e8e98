using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Notices;

/// <summary>Where a notification goes.</summary>
public enum NotificationChannel
{
    /// <summary>Shown to the signed-in subject in the privacy center (<c>GET /api/v1/me/notifications</c>).</summary>
    InApp,

    /// <summary>Mailed to the subject's verified email address.</summary>
    Email,

    /// <summary>Texted to the subject's verified phone number.</summary>
    Sms,
}

/// <summary>Where a notification stands.</summary>
public enum NotificationStatus
{
    /// <summary>Waiting for the dispatcher (first attempt, or a retry after a failure).</summary>
    Pending,

    /// <summary>Delivered: handed to the mail server or the SMS sender, or visible in the privacy center.</summary>
    Sent,

    /// <summary>Given up: the attempts ran out, or it can never be delivered (no address, key shredded).</summary>
    Failed,
}

/// <summary>
/// One notification to one subject on one channel. The row shows only ids, template, channel,
/// language, status and times: the values filled into the template are sealed under the subject's
/// data key (so cancelling the account shreds them with everything else), and the address is read
/// from the vault only when the message goes out.
/// </summary>
public sealed class Notification : Residency.ISubjectData
{
    public Guid Id { get; set; }

    public Guid SubjectId { get; set; }

    public NotificationChannel Channel { get; set; }

    /// <summary>The key of the <see cref="NotificationTemplate"/> it is rendered from.</summary>
    public string TemplateKey { get; set; } = string.Empty;

    /// <summary>The language it is rendered in: <c>en</c> or <c>zh-CN</c>.</summary>
    public string Language { get; set; } = "en";

    /// <summary>The template's values as JSON, AES-256-GCM under the subject's data key, bound to this row's id.</summary>
    public byte[] Values { get; set; } = [];

    public NotificationStatus Status { get; set; }

    /// <summary>Delivery attempts so far (email and SMS).</summary>
    public int Attempts { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the dispatcher may try (again); null once it is sent or failed.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    /// <summary>When the subject marked an in-app notification read.</summary>
    public DateTimeOffset? ReadAt { get; set; }

    /// <summary>Why the last attempt failed: an error type or a short code such as <c>no-address</c>, never a message text.</summary>
    public string? Error { get; set; }
}

/// <summary>A subject's chosen language for notifications; without one, English.</summary>
public sealed class NotificationLanguage : Residency.ISubjectData
{
    public Guid SubjectId { get; set; }

    /// <summary><c>en</c> or <c>zh-CN</c>.</summary>
    public string Language { get; set; } = "en";

    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class NotificationConfiguration : IEntityTypeConfiguration<Notification>
{
    public void Configure(EntityTypeBuilder<Notification> builder)
    {
        builder.ToTable("notifications");
        builder.HasKey(n => n.Id);
        builder.Property(n => n.Channel).HasConversion(c => NotificationNames.Of(c), s => NotificationNames.Channel(s)).HasMaxLength(8);
        builder.Property(n => n.Status).HasConversion(s => NotificationNames.Of(s), s => NotificationNames.Status(s)).HasMaxLength(8);
        builder.Property(n => n.TemplateKey).HasMaxLength(64);
        builder.Property(n => n.Language).HasMaxLength(8);
        builder.Property(n => n.Error).HasMaxLength(64);

        // The dispatcher's "due now" query, and a subject's in-app list newest first.
        builder.HasIndex(n => new { n.Status, n.NextAttemptAt });
        builder.HasIndex(n => new { n.SubjectId, n.Channel, n.CreatedAt });

        // Deleting the subject (the end of a cancellation) takes its notifications with it.
        builder.HasOne<Subjects.Subject>().WithMany().HasForeignKey(n => n.SubjectId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class NotificationLanguageConfiguration : IEntityTypeConfiguration<NotificationLanguage>
{
    public void Configure(EntityTypeBuilder<NotificationLanguage> builder)
    {
        builder.ToTable("notification_languages");
        builder.HasKey(l => l.SubjectId);
        builder.Property(l => l.Language).HasMaxLength(8);
        builder.HasOne<Subjects.Subject>().WithMany().HasForeignKey(l => l.SubjectId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>The words channels and statuses are stored and shown as.</summary>
public static class NotificationNames
{
    public static string Of(NotificationChannel channel) => channel switch
    {
        NotificationChannel.InApp => "in-app",
        NotificationChannel.Email => "email",
        _ => "sms",
    };

    public static string Of(NotificationStatus status) => status switch
    {
        NotificationStatus.Pending => "pending",
        NotificationStatus.Sent => "sent",
        _ => "failed",
    };

    public static NotificationChannel Channel(string name) => name switch
    {
        "in-app" => NotificationChannel.InApp,
        "email" => NotificationChannel.Email,
        "sms" => NotificationChannel.Sms,
        _ => throw new ArgumentOutOfRangeException(nameof(name), "Not a notification channel."),
    };

    public static NotificationStatus Status(string name) => name switch
    {
        "pending" => NotificationStatus.Pending,
        "sent" => NotificationStatus.Sent,
        "failed" => NotificationStatus.Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(name), "Not a notification status."),
    };
}
