using Konzen.Privacy.Retention;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Subjects;

/// <summary>
/// Removes the working data of registration once it can no longer serve: codes that were used or have
/// expired, registrations whose codes expired unverified (their sealed addresses, password hash and
/// birth date with them), and text messages older than a code's lifetime (every message in the outbox
/// carries a code, useless once it has expired). None of it is a policy category; each is named here.
/// </summary>
internal sealed class RegistrationRetention(PrivacyDbContext db, IOptions<SubjectsOptions> options) : IRetentionTarget
{
    public const string PendingRegistrations = "pending-registrations";
    public const string VerificationCodes = "verification-codes";
    public const string SmsOutbox = "sms-outbox";

    public async Task<IReadOnlyList<RetentionCount>> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Codes first: they share their registration's expiry, so the registrations deleted next take no
        // codes with them through the cascade, and each count says what it names.
        var codes = await db.Set<VerificationCode>()
            .Where(c => c.UsedAt != null || c.ExpiresAt <= now)
            .ExecuteDeleteAsync(cancellationToken);
        var registrations = await db.Set<PendingRegistration>()
            .Where(r => r.ExpiresAt <= now)
            .ExecuteDeleteAsync(cancellationToken);
        var sentBefore = now - options.Value.CodeLifetime;
        var messages = await db.Set<SmsOutboxMessage>()
            .Where(m => m.CreatedAt <= sentBefore)
            .ExecuteDeleteAsync(cancellationToken);
        return
        [
            new RetentionCount(PendingRegistrations, registrations, 0),
            new RetentionCount(VerificationCodes, codes, 0),
            new RetentionCount(SmsOutbox, messages, 0),
        ];
    }

    public async Task<IReadOnlyList<RetentionDue>> DueAsync(CancellationToken cancellationToken)
    {
        var registration = await db.Set<PendingRegistration>().OrderBy(r => r.ExpiresAt).Select(r => (DateTimeOffset?)r.ExpiresAt).FirstOrDefaultAsync(cancellationToken);
        var unused = await db.Set<VerificationCode>().OrderBy(c => c.ExpiresAt).Select(c => (DateTimeOffset?)c.ExpiresAt).FirstOrDefaultAsync(cancellationToken);
        var used = await db.Set<VerificationCode>().Where(c => c.UsedAt != null).OrderBy(c => c.UsedAt).Select(c => c.UsedAt).FirstOrDefaultAsync(cancellationToken);
        var message = await db.Set<SmsOutboxMessage>().OrderBy(m => m.CreatedAt).Select(m => (DateTimeOffset?)m.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        return
        [
            new RetentionDue(PendingRegistrations, registration),
            new RetentionDue(VerificationCodes, used is null ? unused : unused is null || used < unused ? used : unused),
            new RetentionDue(SmsOutbox, message + options.Value.CodeLifetime),
        ];
    }
}
