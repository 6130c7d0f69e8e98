using Konzen.Privacy.Audit;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Subjects;

/// <summary>A sign-in attempt with one address (email or phone) and the password.</summary>
public sealed record LoginRequest(string? Email, string? Phone, string? Password);

/// <summary>The signed-in subject, or a refusal.</summary>
public sealed record LoginResult(Guid? SubjectId, Refusal? Refusal = null);

/// <summary>
/// Password sign-in with lockout (S3.1): after <see cref="SubjectsOptions.MaxFailedLogins"/> wrong
/// passwords in a row the account refuses every password for <see cref="SubjectsOptions.LockoutDuration"/>.
/// Unknown address, wrong password and locked account give the same refusal, so sign-in does not
/// reveal who has an account.
/// </summary>
public sealed class Login(PrivacyDbContext db, PersonalDataVault vault, AuditLog audit, IOptions<SubjectsOptions> options, TimeProvider time)
{
    private static readonly Refusal Failed = new(RefusalKind.LoginFailed, "The address or the password is wrong, or the account is locked for a while after too many wrong passwords.");

    // Checked against when the address is unknown, so that the answer costs the same work either way.
    private static readonly string DecoyHash = SubjectRegistration.Passwords.HashPassword(new Subject(), "konzen-decoy-password");

    public async Task<LoginResult> SignInAsync(LoginRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if ((request.Email is null) == (request.Phone is null) || string.IsNullOrEmpty(request.Password))
        {
            return new LoginResult(null, new Refusal(RefusalKind.InvalidInput, "Give exactly one of email and phone, and the password.", new Dictionary<string, string[]>(StringComparer.Ordinal)
            {
                [request.Email is null && request.Phone is null ? "email" : string.IsNullOrEmpty(request.Password) ? "password" : "phone"] = ["Give exactly one of email and phone, and the password."],
            }));
        }

        Guid? id = null;
        if (request.Email is not null)
        {
            if (!ContactAddress.TryNormalizeEmail(request.Email, out var email))
            {
                return Invalid("email", "Not a valid email address.");
            }

            id = await vault.FindByEmailAsync(db, email, cancellationToken);
        }
        else
        {
            if (!ContactAddress.TryNormalizePhone(request.Phone, out var phone))
            {
                return Invalid("phone", "Not a valid phone number.");
            }

            id = await vault.FindByPhoneAsync(db, phone, cancellationToken);
        }

        var subject = id is { } found ? await db.Subjects.FindAsync([found], cancellationToken) : null;
        if (subject is null)
        {
            SubjectRegistration.Passwords.VerifyHashedPassword(new Subject(), DecoyHash, request.Password);
            return new LoginResult(null, Failed);
        }

        return await CheckPasswordAsync(subject, request.Password, "login.succeeded", cancellationToken);
    }

    /// <summary>
    /// Confirms the signed-in subject's password again (before an export, for example), under the same
    /// lockout as sign-in: a wrong password counts toward it and a locked account is refused.
    /// </summary>
    public async Task<LoginResult> ReauthenticateAsync(Guid subjectId, string? password, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(password))
        {
            return Invalid("password", "Give the password.");
        }

        if (await db.Subjects.FindAsync([subjectId], cancellationToken) is not { } subject)
        {
            return new LoginResult(null, Failed);
        }

        return await CheckPasswordAsync(subject, password, "login.reauthenticated", cancellationToken);
    }

    private async Task<LoginResult> CheckPasswordAsync(Subject subject, string password, string successAction, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var actor = $"subject:{subject.Id}";
        if (subject.LockedUntil is { } until && until > now)
        {
            await audit.SaveChangesAsync(db, new AuditRecord(actor, "login.refused", subject.Id, Detail: "locked"), cancellationToken);
            return new LoginResult(null, Failed);
        }

        var verdict = SubjectRegistration.Passwords.VerifyHashedPassword(subject, subject.PasswordHash, password);
        if (verdict == PasswordVerificationResult.Failed)
        {
            subject.FailedLogins++;
            var detail = "wrong password";
            if (subject.FailedLogins >= options.Value.MaxFailedLogins)
            {
                subject.LockedUntil = now + options.Value.LockoutDuration;
                subject.FailedLogins = 0;
                detail = "wrong password; locked";
            }

            await audit.SaveChangesAsync(db, new AuditRecord(actor, "login.failed", subject.Id, Detail: detail), cancellationToken);
            return new LoginResult(null, Failed);
        }

        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            subject.PasswordHash = SubjectRegistration.Passwords.HashPassword(subject, password);
        }

        subject.FailedLogins = 0;
        subject.LockedUntil = null;
        await audit.SaveChangesAsync(db, new AuditRecord(actor, successAction, subject.Id), cancellationToken);
        return new LoginResult(subject.Id);
    }

    private static LoginResult Invalid(string field, string message) =>
        new(null, new Refusal(RefusalKind.InvalidInput, message, new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] }));
}
