using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Cryptography;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Subjects;

/// <summary>
/// The account of a subject who was under the policy's adult age at registration, and its guardian (S8.1).
/// Its existence is what makes the consent ledger look at the subject's age at all; the guardian's address
/// is sealed under the minor's own data key (so shredding the minor shreds it too), and the code and the
/// guardian's access token are kept only as HMACs.
/// </summary>
public sealed class MinorAccount
{
    public Guid SubjectId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary><c>email</c> or <c>phone</c>; null until the minor names a guardian.</summary>
    public string? GuardianChannel { get; set; }

    /// <summary>The guardian's address, AES-256-GCM under the minor's data key; null until named.</summary>
    public byte[]? GuardianContact { get; set; }

    /// <summary>HMAC of the verification code waiting; null when none is.</summary>
    public byte[]? CodeHash { get; set; }

    public DateTimeOffset? CodeExpiresAt { get; set; }

    /// <summary>Wrong codes entered against the code waiting: a six-digit code must not be guessable.</summary>
    public int CodeAttempts { get; set; }

    /// <summary>HMAC of the verified guardian's access token; null until verified.</summary>
    public byte[]? TokenHash { get; set; }

    /// <summary>When the guardian proved the address and approved the account; the gate's GuardianConsent trait.</summary>
    public DateTimeOffset? GuardianVerifiedAt { get; set; }
}

internal sealed class MinorAccountConfiguration : IEntityTypeConfiguration<MinorAccount>
{
    public void Configure(EntityTypeBuilder<MinorAccount> builder)
    {
        builder.ToTable("minor_accounts");
        builder.HasKey(a => a.SubjectId);
        builder.Property(a => a.GuardianChannel).HasMaxLength(8);
        builder.Property(a => a.CodeHash).HasMaxLength(32);
        builder.Property(a => a.TokenHash).HasMaxLength(32);

        // Deleting the subject (cancellation, deletion) takes its minor's account and the sealed guardian address with it.
        builder.HasOne<Subject>().WithMany().HasForeignKey(a => a.SubjectId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>The guardian flow's settings (section <c>Guardians</c>).</summary>
public sealed class GuardianOptions
{
    public const string Section = "Guardians";

    /// <summary>How long a guardian's verification code works. Defaults to 24 hours: a parent may not read the message at once.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Wrong codes before the code stops working. Defaults to 5.</summary>
    [Range(1, 10)]
    public int MaxCodeAttempts { get; set; } = 5;

    /// <summary>
    /// The page the verification link opens; the minor's id and the code follow in the fragment, which
    /// browsers never send to a server, so no log sees the code. Defaults to <c>/guardian</c>; set the
    /// site's absolute address in production.
    /// </summary>
    [Required]
    public string VerificationPage { get; set; } = "/guardian";
}

/// <summary>Why the guardian flow refused a step; the host maps each to one problem type.</summary>
public enum GuardianRefusal
{
    /// <summary>Not refused.</summary>
    None,

    /// <summary>A field is missing or malformed; <see cref="GuardianResult{T}.Errors"/> says which.</summary>
    InvalidInput,

    /// <summary>The subject is not a minor (or not known): there is no guardian to name or verify.</summary>
    NotAMinor,

    /// <summary>A guardian is already verified for this minor; the minor cannot replace them.</summary>
    AlreadyVerified,

    /// <summary>The code is wrong, or no code is waiting.</summary>
    InvalidCode,

    /// <summary>The code's lifetime is over.</summary>
    CodeExpired,

    /// <summary>Too many wrong codes: this code no longer works; the minor must name the guardian again.</summary>
    TooManyAttempts,
}

/// <summary>The outcome of a guardian-flow step: a value, or a refusal with a detail free of personal data.</summary>
public sealed record GuardianResult<T>(T? Value, GuardianRefusal Refusal = GuardianRefusal.None, string? Detail = null, IReadOnlyDictionary<string, string[]>? Errors = null);

/// <summary>A guardian was named and a code sent on <paramref name="Channel"/>, working until <paramref name="ExpiresAt"/>.</summary>
public sealed record GuardianInvitation(string Channel, DateTimeOffset ExpiresAt);

/// <summary>What the minor sees of the guardian: never the address.</summary>
public sealed record GuardianStatus(string? Channel, bool Verified, DateTimeOffset? VerifiedAt);

/// <summary>The verified guardian's access: a token of their own (shown once) that works for this minor only.</summary>
public sealed record GuardianAccess(Guid MinorId, string Token);

/// <summary>One optional purpose as the guardian sees it: <paramref name="Offered"/> is false for those the policy excludes for minors.</summary>
public sealed record GuardianPurpose(string Purpose, string Name, string Clause, bool Offered, bool Granted);

/// <summary>
/// The guardian flow (S8.1): the minor names a guardian's email address or phone number; the guardian gets
/// a code (and a link carrying it) in the <see cref="NotificationTemplates.GuardianVerification"/> message,
/// and entering it proves the address and approves the account, which gives the minor the GuardianConsent
/// trait. The guardian then holds an access token of their own (never the minor's session) with which they
/// see the minor's optional purposes and consent or withdraw them one by one, as ledger events of the
/// <see cref="ConsentMethod.Guardian"/> method. The access ends when the minor turns 18.
/// </summary>
public sealed class Guardians(
    PrivacyDbContext db,
    SubjectKeys keys,
    SubjectSecrets secrets,
    MinorTraits minors,
    ConsentLedger ledger,
    CompiledPolicy policy,
    AuditLog audit,
    EmailSender email,
    ISmsSender sms,
    NotificationOutbox outbox,
    IOptions<GuardianOptions> options,
    TimeProvider time)
{
    /// <summary>The field name the guardian's address is sealed under (bound into the ciphertext).</summary>
    internal const string ContactField = "guardian.contact";

    private const string CodeChannel = "guardian-code";
    private const string TokenChannel = "guardian-token";

    /// <summary>
    /// The minor names a guardian (exactly one of <paramref name="guardianEmail"/> and <paramref name="guardianPhone"/>)
    /// and a code goes to that address in <paramref name="language"/>. Naming again before verification replaces the
    /// address and the code; once a guardian is verified it is refused.
    /// </summary>
    public async Task<GuardianResult<GuardianInvitation>> NameAsync(
        Guid minorId, string? guardianEmail, string? guardianPhone, PolicyLanguage language, CancellationToken cancellationToken = default)
    {
        string? channel = null;
        string? address = null;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if ((guardianEmail is null) == (guardianPhone is null))
        {
            errors["email"] = errors["phone"] = ["Give the guardian's email address or phone number (one of them)."];
        }
        else if (guardianEmail is not null)
        {
            (channel, address) = ContactAddress.TryNormalizeEmail(guardianEmail, out var normalized) ? (VerificationChannel.Email, normalized) : (null, null);
            if (address is null)
            {
                errors["email"] = ["Not a valid email address (expected one plain address such as name@example.com)."];
            }
        }
        else
        {
            (channel, address) = ContactAddress.TryNormalizePhone(guardianPhone!, out var e164) ? (VerificationChannel.Phone, e164) : (null, null);
            if (address is null)
            {
                errors["phone"] = ["Not a valid phone number (numbers without a country code are read as mainland China numbers)."];
            }
        }

        if (!Enum.IsDefined(language))
        {
            errors["language"] = ["Expected en or zh-CN."];
        }

        if (errors.Count > 0)
        {
            return new(null, GuardianRefusal.InvalidInput, "The guardian has invalid fields.", errors);
        }

        var account = await MinorAccountAsync(minorId, cancellationToken);
        if (account is null)
        {
            return new(null, GuardianRefusal.NotAMinor, "Only an account of someone under 18 names a guardian.");
        }

        if (account.GuardianVerifiedAt is not null)
        {
            return new(null, GuardianRefusal.AlreadyVerified, "A guardian is already verified for this account.");
        }

        var code = VerificationCodes.New();
        var expires = time.GetUtcNow() + options.Value.CodeLifetime;
        var key = await keys.GetOrCreateAsync(minorId, cancellationToken);
        account.GuardianChannel = channel;
        account.GuardianContact = FieldCipher.Encrypt(key, minorId, ContactField, address!);
        account.CodeHash = secrets.HashCode(minorId, CodeChannel, code);
        account.CodeExpiresAt = expires;
        account.CodeAttempts = 0;
        await audit.SaveChangesAsync(db, new AuditRecord($"subject:{minorId}", "guardian.named", minorId, Detail: $"channel: {channel}"), cancellationToken);

        // Sent after the commit: a code is never delivered for a guardian that was not stored.
        await SendCodeAsync(minorId, channel!, address!, code, language, cancellationToken);
        return new(new GuardianInvitation(channel!, expires));
    }

    /// <summary>What the minor sees of their guardian; null when the subject is not a minor.</summary>
    public async Task<GuardianStatus?> StatusAsync(Guid minorId, CancellationToken cancellationToken = default) =>
        await MinorAccountAsync(minorId, cancellationToken) is { } account
            ? new GuardianStatus(account.GuardianChannel, account.GuardianVerifiedAt is not null, account.GuardianVerifiedAt)
            : null;

    /// <summary>
    /// The guardian enters the code: the address is proved and the account approved, and the guardian gets
    /// an access token of their own. A wrong code spends one attempt; every other refusal leaves the store as it was.
    /// </summary>
    public async Task<GuardianResult<GuardianAccess>> VerifyAsync(Guid minorId, string? code, CancellationToken cancellationToken = default)
    {
        if (!VerificationCodes.IsWellFormed(code))
        {
            return new(null, GuardianRefusal.InvalidInput, "The verification has invalid fields.",
                new Dictionary<string, string[]>(StringComparer.Ordinal) { ["code"] = ["Expected the six digits that were sent."] });
        }

        // One answer for "not a minor", "no guardian named" and "already verified": the code holder learns nothing else.
        var account = await MinorAccountAsync(minorId, cancellationToken);
        if (account is not { CodeHash: { } stored, CodeExpiresAt: { } expiresAt, GuardianVerifiedAt: null })
        {
            return new(null, GuardianRefusal.InvalidCode, "The code is not valid for this account, or was already used.");
        }

        var now = time.GetUtcNow();
        if (now >= expiresAt)
        {
            return new(null, GuardianRefusal.CodeExpired, "The code has expired; the account holder can name the guardian again to send a new one.");
        }

        var max = options.Value.MaxCodeAttempts;
        if (account.CodeAttempts >= max)
        {
            return new(null, GuardianRefusal.TooManyAttempts, "Too many wrong codes; the account holder can name the guardian again to send a new one.");
        }

        if (!CryptographicOperations.FixedTimeEquals(stored, secrets.HashCode(minorId, CodeChannel, code!)))
        {
            account.CodeAttempts++;
            await db.SaveChangesAsync(cancellationToken);
            var left = max - account.CodeAttempts;
            return left > 0
                ? new(null, GuardianRefusal.InvalidCode, $"The code is wrong; {left.ToString(CultureInfo.InvariantCulture)} attempt(s) left.")
                : new(null, GuardianRefusal.TooManyAttempts, "Too many wrong codes; the account holder can name the guardian again to send a new one.");
        }

        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        account.CodeHash = null;
        account.CodeExpiresAt = null;
        account.CodeAttempts = 0;
        account.TokenHash = secrets.HashCode(minorId, TokenChannel, secret);
        account.GuardianVerifiedAt = now;
        await audit.SaveChangesAsync(db, new AuditRecord($"guardian:{minorId:N}", "guardian.verified", minorId, Detail: $"channel: {account.GuardianChannel}"), cancellationToken);
        return new(new GuardianAccess(minorId, $"{minorId:N}.{secret}"));
    }

    /// <summary>
    /// The minor a guardian's access token works for, or null: a token that is malformed, forged, of another
    /// minor, or of a minor who has turned 18 opens nothing.
    /// </summary>
    public async Task<Guid?> AuthenticateAsync(string? token, CancellationToken cancellationToken = default)
    {
        if (token is null || token.Split('.') is not [var id, var secret] || !Guid.TryParseExact(id, "N", out var minorId) || secret.Length is 0 or > 64)
        {
            return null;
        }

        var account = await MinorAccountAsync(minorId, cancellationToken);
        return account is { TokenHash: { } stored } && CryptographicOperations.FixedTimeEquals(stored, secrets.HashCode(minorId, TokenChannel, secret))
            ? minorId
            : null;
    }

    /// <summary>The minor's optional purposes with the current choice, as the verified guardian sees them.</summary>
    public async Task<IReadOnlyList<GuardianPurpose>> PurposesAsync(Guid minorId, CancellationToken cancellationToken = default)
    {
        var state = await ledger.GetStateAsync(minorId, cancellationToken);
        var excluded = policy.Document.Minors.ExcludedPurposes;
        return [.. policy.Purposes
            .Where(p => p.Optional)
            .Select(p => new GuardianPurpose(p.Key, p.Name.En, p.Clause, !excluded.Contains(p.Key, StringComparer.Ordinal), state.Consents.Contains(policy.Purpose(p.Key))))];
    }

    /// <summary>
    /// The verified guardian consents to or withdraws one purpose for the minor: a ledger event of the
    /// guardian method with its signed receipt, and an in-app notice to the minor that it happened.
    /// </summary>
    public async Task<ConsentChange> RecordAsync(Guid minorId, string purpose, bool granted, ConsentEvidence? evidence, CancellationToken cancellationToken = default)
    {
        var change = await ledger.RecordAsync(minorId, purpose, granted, ConsentMethod.Guardian, evidence, $"guardian:{minorId:N}", cancellationToken);
        if (change.Recorded)
        {
            await outbox.EnqueueAsync(minorId, NotificationTemplates.GuardianConsent, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["purpose"] = purpose,
                ["date"] = time.GetUtcNow().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            }, cancellationToken);
        }

        return change;
    }

    /// <summary>The tracked account of a subject who is a minor today; null for anyone else.</summary>
    private async Task<MinorAccount?> MinorAccountAsync(Guid subjectId, CancellationToken cancellationToken)
    {
        var standing = await minors.StandingAsync(subjectId, cancellationToken);
        return standing is { } s && (s.Traits & SubjectTraits.Minor) != 0
            ? await db.Set<MinorAccount>().FindAsync([subjectId], cancellationToken)
            : null;
    }

    private async Task SendCodeAsync(Guid minorId, string channel, string address, string code, PolicyLanguage language, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["code"] = code,
            ["hours"] = ((int)Math.Ceiling(options.Value.CodeLifetime.TotalHours)).ToString(CultureInfo.InvariantCulture),
            ["link"] = $"{PageIn(language)}#minor={minorId:N}&code={code}",
        };
        var (subject, body) = NotificationTemplates.GuardianVerification.Render(language, values);
        if (channel == VerificationChannel.Email)
        {
            await email.SendAsync(new EmailMessage(address, subject, body), cancellationToken);
        }
        else
        {
            await sms.SendAsync(address, body, cancellationToken);
        }
    }

    /// <summary>The verification page in the message's language: the link of a Chinese message opens the Chinese page.</summary>
    private string PageIn(PolicyLanguage language)
    {
        var page = options.Value.VerificationPage;
        return language == PolicyLanguage.ZhCn ? $"{page}{(page.Contains('?', StringComparison.Ordinal) ? '&' : '?')}lang=zh-CN" : page;
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

