using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Consent;

/// <summary>How a consent or withdrawal reached us.</summary>
public enum ConsentMethod
{
    /// <summary>On a web page.</summary>
    Web,

    /// <summary>In the mobile app.</summary>
    App,

    /// <summary>Through the API, by the site's own code on the subject's behalf.</summary>
    Api,

    /// <summary>By a verified guardian of a minor.</summary>
    Guardian,
}

/// <summary>What a ledger event records.</summary>
public enum ConsentEventKind
{
    /// <summary>Consent to a purpose given or withdrawn.</summary>
    Consent,

    /// <summary>
    /// A policy version accepted by continued use after its effective date (S7.2): no purpose,
    /// <see cref="ConsentEvent.PolicyHash"/> names the version. It changes no purpose's state.
    /// </summary>
    PolicyAccepted,
}

/// <summary>
/// One consent or withdrawal, as it happened. The ledger only ever appends these: a withdrawal is a
/// new event, never an update, so the history a regulator or the subject sees is the whole history.
/// It holds no personal data beyond the subject's id: the connection it came from is kept as a keyed
/// hash, enough to match a later claim against, never the address or user agent themselves.
/// </summary>
public sealed class ConsentEvent : Residency.ISubjectData
{
    /// <summary>Assigned by the store; orders a subject's events.</summary>
    public long Id { get; set; }

    public Guid SubjectId { get; set; }

    /// <summary>A consent change, or the acceptance of a policy version (whose purpose key is empty).</summary>
    public ConsentEventKind Kind { get; set; }

    /// <summary>The policy's purpose key, for example <c>analytics.reporting</c>.</summary>
    public string PurposeKey { get; set; } = string.Empty;

    /// <summary>True for consent given, false for consent withdrawn.</summary>
    public bool Granted { get; set; }

    /// <summary>Content hash of the policy version the subject saw when deciding.</summary>
    public string PolicyHash { get; set; } = string.Empty;

    public ConsentMethod Method { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>HMAC-SHA256 of the client's IP address and user agent; null when neither was known.</summary>
    public byte[]? EvidenceHash { get; set; }

    /// <summary>The id of the signed receipt issued for this event.</summary>
    public Guid ReceiptId { get; set; }

    /// <summary>The receipt itself (JWS compact serialization), so the subject can fetch it again.</summary>
    public string Receipt { get; set; } = string.Empty;
}

internal sealed class ConsentEventConfiguration : IEntityTypeConfiguration<ConsentEvent>
{
    public void Configure(EntityTypeBuilder<ConsentEvent> builder)
    {
        builder.ToTable("consent_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).ValueGeneratedOnAdd();
        builder.Property(e => e.PurposeKey).HasMaxLength(128);
        builder.Property(e => e.PolicyHash).HasMaxLength(64);
        builder.Property(e => e.Method).HasConversion<string>().HasMaxLength(16);
        builder.Property(e => e.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(e => e.EvidenceHash).HasMaxLength(32);
        builder.HasIndex(e => e.ReceiptId).IsUnique();

        // The state of one subject is read as the range of its events in order.
        builder.HasIndex(e => new { e.SubjectId, e.Id });
    }
}
