using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Subjects;

/// <summary>The channels a one-time code goes out on.</summary>
public static class VerificationChannel
{
    public const string Email = "email";
    public const string Phone = "phone";

    public static bool IsKnown(string? channel) => channel is Email or Phone;
}

/// <summary>
/// One one-time code of a pending registration, for one channel. Only its HMAC is stored; it works
/// once, until <see cref="ExpiresAt"/>, and for at most the configured number of attempts.
/// </summary>
public sealed class VerificationCode
{
    public Guid RegistrationId { get; set; }

    /// <summary><see cref="VerificationChannel.Email"/> or <see cref="VerificationChannel.Phone"/>.</summary>
    public string Channel { get; set; } = string.Empty;

    /// <summary>HMAC-SHA256 of the code under the server's key (<see cref="SubjectSecrets"/>).</summary>
    public byte[] Hash { get; set; } = [];

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Wrong codes entered so far.</summary>
    public int Attempts { get; set; }

    /// <summary>When the right code was entered; a used code never works again.</summary>
    public DateTimeOffset? UsedAt { get; set; }
}

internal sealed class VerificationCodeConfiguration : IEntityTypeConfiguration<VerificationCode>
{
    public void Configure(EntityTypeBuilder<VerificationCode> builder)
    {
        builder.ToTable("verification_codes");
        builder.HasKey(c => new { c.RegistrationId, c.Channel });
        builder.Property(c => c.Channel).HasMaxLength(8);
        builder.Property(c => c.Hash).HasMaxLength(32);
        builder.HasOne<PendingRegistration>().WithMany().HasForeignKey(c => c.RegistrationId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>Makes and checks six-digit codes.</summary>
internal static class VerificationCodes
{
    /// <summary>A uniformly random code of six digits, leading zeros included.</summary>
    public static string New() => RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Six ASCII digits; anything else is never a code, and is refused without spending an attempt.</summary>
    public static bool IsWellFormed(string? code) => code is { Length: 6 } && code.All(char.IsAsciiDigit);

    /// <summary>Compares in constant time, so the answer's timing says nothing about how many bytes matched.</summary>
    public static bool Matches(SubjectSecrets secrets, VerificationCode stored, string code) =>
        CryptographicOperations.FixedTimeEquals(secrets.HashCode(stored.RegistrationId, stored.Channel, code), stored.Hash);
}
