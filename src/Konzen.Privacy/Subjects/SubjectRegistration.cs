using System.Globalization;
using System.Text.Json;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Residency;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Subjects;

/// <summary>What a person enters to register: at least one of email and phone.</summary>
public sealed record RegistrationRequest(string? Email, string? Phone, string? Password, DateOnly? BirthDate, string? AcceptedPolicyHash);

/// <summary>A registration was accepted and its codes are on their way; or a refusal.</summary>
public sealed record RegistrationStarted(Guid RegistrationId, Refusal? Refusal = null);

/// <summary>
/// The result of entering a code: the new subject when every address is verified, the channels
/// still waiting otherwise; or a refusal.
/// </summary>
public sealed record VerificationResult(Guid? SubjectId, IReadOnlyList<string> Remaining, Refusal? Refusal = null);

/// <summary>
/// Registration (S1.1, S1.2, S0.3): a phone number and/or an email address, each proven by a
/// one-time code, then a subject whose contact details and birth date live only in the vault.
/// Optional purposes start withdrawn: registering records no consent, so refusing every optional
/// purpose can never block it.
/// </summary>
public sealed class SubjectRegistration(
    PrivacyDbContext db,
    PersonalDataVault vault,
    SubjectSecrets secrets,
    CompiledPolicy policy,
    AuditLog audit,
    EmailSender email,
    ISmsSender sms,
    IOptions<SubjectsOptions> options,
    ResidencyGuard residency,
    TimeProvider time,
    Cessation.ServiceCessation cessation)
{
    /// <summary>The category the birth date is stored under (used by the rules for minors).</summary>
    public const string BirthDateField = "user.demographic.date_of_birth";

    /// <summary>The shortest password accepted.</summary>
    public const int MinPasswordLength = 8;

    private const int MaxPasswordLength = 128;

    internal static readonly PasswordHasher<Subject> Passwords = new();

    /// <summary>
    /// Validates the request, keeps it sealed as a pending registration and sends one code to each
    /// address. An address that already has an account gets its code like any other: the answer
    /// must not reveal who has an account, and only the address's owner learns it at verification.
    /// </summary>
    public async Task<RegistrationStarted> StartAsync(RegistrationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await CeasingAsync(cancellationToken) is { } ceasing)
        {
            return new RegistrationStarted(Guid.Empty, ceasing);
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string? emailAddress = null;
        string? phoneNumber = null;
        if (request.Email is null && request.Phone is null)
        {
            errors["email"] = ["Give an email address, a phone number, or both."];
            errors["phone"] = ["Give an email address, a phone number, or both."];
        }

        if (request.Email is not null)
        {
            if (ContactAddress.TryNormalizeEmail(request.Email, out var normalized))
            {
                emailAddress = normalized;
            }
            else
            {
                errors["email"] = ["Not a valid email address (expected one plain address such as name@example.com)."];
            }
        }

        if (request.Phone is not null)
        {
            if (ContactAddress.TryNormalizePhone(request.Phone, out var e164))
            {
                phoneNumber = e164;
            }
            else
            {
                errors["phone"] = ["Not a valid phone number (numbers without a country code are read as mainland China numbers)."];
            }
        }

        if (request.Password is not { Length: >= MinPasswordLength and <= MaxPasswordLength })
        {
            errors["password"] = [$"A password of {MinPasswordLength} to {MaxPasswordLength} characters is required."];
        }

        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        if (request.BirthDate is not { } birthDate || birthDate > today || birthDate < today.AddYears(-150))
        {
            errors["birthDate"] = ["A birth date (yyyy-MM-dd) that is not in the future is required."];
        }

        if (string.IsNullOrEmpty(request.AcceptedPolicyHash))
        {
            errors["acceptedPolicyHash"] = ["The content hash of the policy version being accepted is required."];
        }

        if (errors.Count > 0)
        {
            return new RegistrationStarted(Guid.Empty, new Refusal(RefusalKind.InvalidInput, "The registration has invalid fields.", errors));
        }

        if (!string.Equals(request.AcceptedPolicyHash, policy.Version.ContentHash, StringComparison.Ordinal))
        {
            return new RegistrationStarted(Guid.Empty, new Refusal(RefusalKind.PolicyOutdated,
                $"The accepted policy is not the policy in force (version {policy.Version.Number}); read /api/v1/policy and accept its content hash."));
        }

        var id = Guid.CreateVersion7();
        var now = time.GetUtcNow();
        var expires = now + options.Value.CodeLifetime;
        var details = new PendingDetails(emailAddress, phoneNumber, Passwords.HashPassword(new Subject(), request.Password!), request.BirthDate!.Value, request.AcceptedPolicyHash!);
        db.Set<PendingRegistration>().Add(new PendingRegistration
        {
            Id = id,
            CreatedAt = now,
            ExpiresAt = expires,
            Payload = secrets.SealPending(id, JsonSerializer.SerializeToUtf8Bytes(details)),
        });

        var codes = new List<(string Channel, string Code)>(2);
        foreach (var channel in details.Channels)
        {
            var code = VerificationCodes.New();
            codes.Add((channel, code));
            db.Set<VerificationCode>().Add(new VerificationCode
            {
                RegistrationId = id,
                Channel = channel,
                Hash = secrets.HashCode(id, channel, code),
                ExpiresAt = expires,
            });
        }

        await audit.SaveChangesAsync(db, new AuditRecord("anonymous", "registration.started", id, Detail: $"channels: {string.Join(',', details.Channels)}"), cancellationToken);

        // Sent after the commit: a code is never delivered for a registration that was not stored.
        foreach (var (channel, code) in codes)
        {
            await SendAsync(channel, details, code, cancellationToken);
        }

        return new RegistrationStarted(id);
    }

    /// <summary>
    /// Checks one code. A wrong code spends one attempt; any other refusal leaves the store as it was.
    /// When the last address is verified, the subject is created with its fields in the vault and
    /// the pending registration is deleted, in one transaction.
    /// </summary>
    public async Task<VerificationResult> VerifyAsync(Guid registrationId, string? channel, string? code, CancellationToken cancellationToken = default)
    {
        if (!VerificationChannel.IsKnown(channel) || !VerificationCodes.IsWellFormed(code))
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            if (!VerificationChannel.IsKnown(channel))
            {
                errors["channel"] = ["Expected email or phone."];
            }

            if (!VerificationCodes.IsWellFormed(code))
            {
                errors["code"] = ["Expected the six digits that were sent."];
            }

            return Refused(new Refusal(RefusalKind.InvalidInput, "The verification has invalid fields.", errors));
        }

        if (await CeasingAsync(cancellationToken) is { } ceasing)
        {
            return Refused(ceasing);
        }

        var pending = await db.Set<PendingRegistration>().FindAsync([registrationId], cancellationToken);
        var now = time.GetUtcNow();
        if (pending is null)
        {
            return Refused(new Refusal(RefusalKind.UnknownRegistration, "There is no pending registration with this id; it may have been completed or have expired."));
        }

        var codes = await db.Set<VerificationCode>().Where(c => c.RegistrationId == registrationId).ToListAsync(cancellationToken);
        var stored = codes.Find(c => c.Channel == channel);
        if (stored is null || stored.UsedAt is not null)
        {
            return Refused(new Refusal(RefusalKind.InvalidCode, "The code is not valid for this registration, or was already used."));
        }

        if (now >= stored.ExpiresAt)
        {
            return Refused(new Refusal(RefusalKind.CodeExpired, "The code has expired; register again to get a new one."));
        }

        var max = options.Value.MaxCodeAttempts;
        if (stored.Attempts >= max)
        {
            return Refused(new Refusal(RefusalKind.TooManyAttempts, "Too many wrong codes; register again to get a new one."));
        }

        if (!VerificationCodes.Matches(secrets, stored, code!))
        {
            stored.Attempts++;
            await db.SaveChangesAsync(cancellationToken);
            var left = max - stored.Attempts;
            return Refused(left > 0
                ? new Refusal(RefusalKind.InvalidCode, $"The code is wrong; {left.ToString(CultureInfo.InvariantCulture)} attempt(s) left.")
                : new Refusal(RefusalKind.TooManyAttempts, "Too many wrong codes; register again to get a new one."));
        }

        stored.UsedAt = now;
        var remaining = codes.Where(c => c.UsedAt is null).Select(c => c.Channel).ToList();
        if (remaining.Count > 0)
        {
            await audit.SaveChangesAsync(db, new AuditRecord("anonymous", "registration.verified", registrationId, Detail: $"channel: {channel}"), cancellationToken);
            return new VerificationResult(null, remaining);
        }

        var details = JsonSerializer.Deserialize<PendingDetails>(secrets.OpenPending(registrationId, pending.Payload))!;
        return await CompleteAsync(pending, details, cancellationToken);
    }

    private async Task<VerificationResult> CompleteAsync(PendingRegistration pending, PendingDetails details, CancellationToken cancellationToken)
    {
        var taken = (details.Email is not null && await vault.FindByEmailAsync(db, details.Email, cancellationToken) is not null)
            || (details.Phone is not null && await vault.FindByPhoneAsync(db, details.Phone, cancellationToken) is not null);
        db.Set<PendingRegistration>().Remove(pending);
        if (taken)
        {
            // Whoever gets here holds a code sent to the address, so telling them is no leak.
            await audit.SaveChangesAsync(db, new AuditRecord("anonymous", "registration.refused", pending.Id, Detail: "address already registered"), cancellationToken);
            return Refused(new Refusal(RefusalKind.AlreadyRegistered, "This address already has an account; sign in instead."));
        }

        var id = pending.Id;
        var actor = $"subject:{id}";

        // The vault saves after each field; one transaction makes the subject, its fields, the
        // removal of the pending registration and every audit entry commit or fail together.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Subjects.Add(new Subject
        {
            Id = id,
            Region = residency.Region,
            CreatedAt = time.GetUtcNow(),
            AcceptedPolicyHash = details.AcceptedPolicyHash,
            PasswordHash = details.PasswordHash,
        });
        await audit.AppendAsync(db, new AuditRecord(actor, "subject.registered", id, Detail: $"accepted policy {policy.Version.Number} ({details.AcceptedPolicyHash})"), cancellationToken);

        if (details.Email is not null && await vault.WriteAsync(db, id, PersonalDataVault.EmailField, details.Email, actor, cancellationToken) != VaultWrite.Written)
        {
            return Refused(new Refusal(RefusalKind.AlreadyRegistered, "This address already has an account; sign in instead."));
        }

        if (details.Phone is not null && await vault.WriteAsync(db, id, PersonalDataVault.PhoneField, details.Phone, actor, cancellationToken) != VaultWrite.Written)
        {
            return Refused(new Refusal(RefusalKind.AlreadyRegistered, "This address already has an account; sign in instead."));
        }

        if (SubjectAges.AgeOn(details.BirthDate, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime)) < policy.Document.Minors.AdultAge)
        {
            // Marks the account for the rules for minors (S8.1): from now on its traits follow its age by the clock.
            db.Set<MinorAccount>().Add(new MinorAccount { SubjectId = id, CreatedAt = time.GetUtcNow() });
        }

        await vault.WriteAsync(db, id, BirthDateField, details.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), actor, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new VerificationResult(id, []);
    }

    private async Task SendAsync(string channel, PendingDetails details, string code, CancellationToken cancellationToken)
    {
        var minutes = ((int)options.Value.CodeLifetime.TotalMinutes).ToString(CultureInfo.InvariantCulture);
        if (channel == VerificationChannel.Email)
        {
            await email.SendAsync(new EmailMessage(
                details.Email!,
                "Your Konzen verification code",
                $"Your Konzen verification code is {code}. It works once, for {minutes} minutes.\n\nIf you did not ask for it, ignore this message."),
                cancellationToken);
        }
        else
        {
            await sms.SendAsync(details.Phone!, $"Konzen code {code} (valid {minutes} min, once).", cancellationToken);
        }
    }

    private static VerificationResult Refused(Refusal refusal) => new(null, [], refusal);

    // Once the end of the service is announced no account is opened, not even one whose codes were sent before (S2.5).
    private async Task<Refusal?> CeasingAsync(CancellationToken cancellationToken) =>
        await cessation.CurrentAsync(cancellationToken) is { } state
            ? new Refusal(RefusalKind.ServiceCeasing, $"The service ends on {state.CeaseAt.UtcDateTime:yyyy-MM-dd}; no new accounts are opened.")
            : null;

    private sealed record PendingDetails(string? Email, string? Phone, string PasswordHash, DateOnly BirthDate, string AcceptedPolicyHash)
    {
        public IEnumerable<string> Channels =>
            new[] { Email is null ? null : VerificationChannel.Email, Phone is null ? null : VerificationChannel.Phone }.OfType<string>();
    }
}
