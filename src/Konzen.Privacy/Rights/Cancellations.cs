using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Rights;

/// <summary>Why a cancellation step was refused; the host maps each to one problem type.</summary>
public enum CancellationRefusal
{
    /// <summary>Not refused.</summary>
    None,

    /// <summary>A field is missing or malformed, or the subject has no verified address on that channel.</summary>
    InvalidInput,

    /// <summary>The code is wrong, used, expired or spent; or no code is waiting.</summary>
    InvalidCode,

    /// <summary>A cancellation is already scheduled, or none is to undo.</summary>
    Conflict,

    /// <summary>No such subject, cancellation or certificate (or a wrong token): never says which.</summary>
    NotFound,
}

/// <summary>A confirmed cancellation: when it completes, and the one-time token that fetches its certificate.</summary>
/// <param name="CancellationId">The cancellation's id, part of the certificate's address.</param>
/// <param name="DueAt">When the cooling-off period ends; the subject can undo it until then.</param>
/// <param name="CertificateToken">Shown only now: the account will not exist when the certificate is ready.</param>
public sealed record CancellationScheduled(Guid CancellationId, DateTimeOffset DueAt, string CertificateToken);

/// <summary>The outcome of a cancellation step: a value, or a refusal with a detail free of personal data.</summary>
public sealed record CancellationResult<T>(T? Value, CancellationRefusal Refusal = CancellationRefusal.None, string? Detail = null);

/// <summary>What one completion destroyed, deleted and kept.</summary>
public sealed record CancellationCompletion(Guid CancellationId, Guid SubjectId, bool KeyDestroyed, int PersonalFields, int LocationPoints, int LogEvents, int ConsentEventsKept);

/// <summary>
/// Account cancellation (S6.4): a code to a verified address, a cooling-off period from the policy
/// during which the subject can undo it, then completion: the subject's data key is destroyed (so
/// every copy of its sealed data, backups included, stops decrypting), its rows are deleted, the
/// consent ledger is kept as evidence under the bare id, and a signed deletion certificate waits
/// for the subject to fetch it once.
/// </summary>
public sealed class Cancellations(
    PrivacyDbContext db,
    KeyStoreDbContext keyStore,
    SubjectKeys keys,
    Deletions deletions,
    PersonalDataVault vault,
    ConsentLedger consent,
    ConsentStateCache consentCache,
    SubjectSecrets secrets,
    ReceiptSigner signer,
    CompiledPolicy policy,
    AuditLog audit,
    EmailSender email,
    ISmsSender sms,
    IOptions<SubjectsOptions> options,
    Sharing.DeletionNotices deletionNotices,
    TimeProvider time)
{
    private const string ServicePurpose = "essential.service";

    /// <summary>
    /// Sends a confirmation code to the subject's verified <paramref name="channel"/>. A previous
    /// code still waiting is replaced. Refused when a cancellation is already scheduled.
    /// </summary>
    public async Task<CancellationResult<Guid>> StartAsync(Guid subjectId, string? channel, CancellationToken cancellationToken = default)
    {
        if (!VerificationChannel.IsKnown(channel))
        {
            return new(default, CancellationRefusal.InvalidInput, "Expected channel email or phone.");
        }

        if (!await db.Subjects.AnyAsync(s => s.Id == subjectId, cancellationToken))
        {
            return new(default, CancellationRefusal.NotFound, "There is no such account.");
        }

        if (await db.Set<CancellationRequest>().AnyAsync(c => c.SubjectId == subjectId && c.Status == CancellationStatus.Scheduled, cancellationToken))
        {
            return new(default, CancellationRefusal.Conflict, "A cancellation is already scheduled; undo it first to start again.");
        }

        var actor = Actor(subjectId);
        var state = await consent.GetStateAsync(subjectId, cancellationToken);
        var field = channel == VerificationChannel.Email ? PersonalDataVault.EmailField : PersonalDataVault.PhoneField;
        var address = (await vault.ReadAsync(db, state, subjectId, field, ServicePurpose, actor, cancellationToken)).Value;
        if (address is null)
        {
            return new(default, CancellationRefusal.InvalidInput, "The account has no verified address on this channel.");
        }

        await db.Set<CancellationRequest>().Where(c => c.SubjectId == subjectId && c.Status == CancellationStatus.AwaitingCode).ExecuteDeleteAsync(cancellationToken);
        var now = time.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        var code = VerificationCodes.New();
        db.Set<CancellationRequest>().Add(new CancellationRequest
        {
            Id = id,
            SubjectId = subjectId,
            Status = CancellationStatus.AwaitingCode,
            Channel = channel!,
            CodeHash = secrets.HashCode(id, channel!, code),
            CodeExpiresAt = now + options.Value.CodeLifetime,
            RequestedAt = now,
        });
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "cancellation.requested", subjectId, Detail: $"cancellation {id}; code sent by {channel}"), cancellationToken);

        // Sent after the commit, like registration's codes: never a code for a request that was not stored.
        var minutes = ((int)options.Value.CodeLifetime.TotalMinutes).ToString(CultureInfo.InvariantCulture);
        if (channel == VerificationChannel.Email)
        {
            await email.SendAsync(new EmailMessage(address, "Confirm the cancellation of your Konzen account",
                $"Your code to confirm the cancellation of your Konzen account is {code}. It works once, for {minutes} minutes.\n\nIf you did not ask to cancel your account, ignore this message and change your password."),
                cancellationToken);
        }
        else
        {
            await sms.SendAsync(address, $"Konzen account cancellation code {code} (valid {minutes} min, once).", cancellationToken);
        }

        return new(id);
    }

    /// <summary>
    /// Checks the code and schedules the cancellation after the policy's cooling-off period. A wrong
    /// code spends one attempt and changes nothing else.
    /// </summary>
    public async Task<CancellationResult<CancellationScheduled>> ConfirmAsync(Guid subjectId, string? channel, string? code, CancellationToken cancellationToken = default)
    {
        if (!VerificationChannel.IsKnown(channel) || !VerificationCodes.IsWellFormed(code))
        {
            return new(null, CancellationRefusal.InvalidInput, "Expected channel email or phone and the six digits that were sent.");
        }

        var request = await db.Set<CancellationRequest>()
            .Where(c => c.SubjectId == subjectId && c.Status == CancellationStatus.AwaitingCode && c.Channel == channel)
            .OrderByDescending(c => c.RequestedAt)
            .FirstOrDefaultAsync(cancellationToken);
        var now = time.GetUtcNow();
        if (request is null || now >= request.CodeExpiresAt || request.Attempts >= options.Value.MaxCodeAttempts)
        {
            return new(null, CancellationRefusal.InvalidCode, "No valid code is waiting on this channel; request a new one.");
        }

        if (!CryptographicOperations.FixedTimeEquals(secrets.HashCode(request.Id, request.Channel, code!), request.CodeHash))
        {
            request.Attempts++;
            await db.SaveChangesAsync(cancellationToken);
            return new(null, CancellationRefusal.InvalidCode, "The code is wrong.");
        }

        var token = Base64UrlToken();
        request.Status = CancellationStatus.Scheduled;
        request.ConfirmedAt = now;
        request.DueAt = now + TimeSpan.FromDays(policy.Document.Rights.CancellationCoolingOffDays);
        request.TokenHash = SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token));
        await audit.SaveChangesAsync(db, new AuditRecord(Actor(subjectId), "cancellation.scheduled", subjectId,
            Detail: $"cancellation {request.Id}; due {request.DueAt:O}"), cancellationToken);
        return new(new CancellationScheduled(request.Id, request.DueAt.Value, token));
    }

    /// <summary>Undoes a scheduled cancellation during the cooling-off period; the account and all its data stay.</summary>
    public async Task<CancellationResult<Guid>> UndoAsync(Guid subjectId, CancellationToken cancellationToken = default)
    {
        var request = await db.Set<CancellationRequest>()
            .FirstOrDefaultAsync(c => c.SubjectId == subjectId && c.Status == CancellationStatus.Scheduled, cancellationToken);
        if (request is null)
        {
            return new(default, CancellationRefusal.Conflict, "No cancellation is scheduled.");
        }

        request.Status = CancellationStatus.Undone;
        request.UndoneAt = time.GetUtcNow();
        request.TokenHash = null;
        await audit.SaveChangesAsync(db, new AuditRecord(Actor(subjectId), "cancellation.undone", subjectId, Detail: $"cancellation {request.Id}"), cancellationToken);
        return new(request.Id);
    }

    /// <summary>
    /// Hands out the signed deletion certificate once, to whoever holds the token given at
    /// confirmation. A wrong token, an unfinished cancellation and a certificate already fetched all
    /// look the same.
    /// </summary>
    public async Task<CancellationResult<string>> FetchCertificateAsync(Guid cancellationId, string? token, CancellationToken cancellationToken = default)
    {
        var request = await db.Set<CancellationRequest>().FindAsync([cancellationId], cancellationToken);
        if (request is not { Status: CancellationStatus.Completed, Certificate: { } certificate, TokenHash: { } hash } || string.IsNullOrEmpty(token)
            || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token)), hash))
        {
            return new(null, CancellationRefusal.NotFound, "There is no certificate for this cancellation and token.");
        }

        request.Certificate = null;
        request.TokenHash = null;
        request.CertificateFetchedAt = time.GetUtcNow();
        await audit.SaveChangesAsync(db, new AuditRecord("anonymous", "cancellation.certificate-fetched", request.SubjectId, Detail: $"cancellation {request.Id}"), cancellationToken);
        return new(certificate);
    }

    /// <summary>The scheduled cancellations whose cooling-off period is over at <paramref name="now"/>.</summary>
    public Task<List<Guid>> DueAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        db.Set<CancellationRequest>()
            .Where(c => c.Status == CancellationStatus.Scheduled && c.DueAt <= now)
            .OrderBy(c => c.DueAt)
            .Select(c => c.Id)
            .ToListAsync(cancellationToken);

    /// <summary>When the next scheduled cancellation falls due; null when none is scheduled.</summary>
    public Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken = default) =>
        db.Set<CancellationRequest>()
            .Where(c => c.Status == CancellationStatus.Scheduled)
            .OrderBy(c => c.DueAt)
            .Select(c => c.DueAt)
            .FirstOrDefaultAsync(cancellationToken);

    /// <summary>
    /// Completes one due cancellation. The key goes first: from that moment nothing of the subject
    /// that was sealed can be read anywhere, whatever happens to the row deletions after it. Run
    /// again after a failure, it finishes (a key already destroyed is simply absent).
    /// </summary>
    public async Task<CancellationCompletion?> CompleteAsync(Guid cancellationId, CancellationToken cancellationToken = default)
    {
        var request = await db.Set<CancellationRequest>().FindAsync([cancellationId], cancellationToken);
        var now = time.GetUtcNow();
        if (request is not { Status: CancellationStatus.Scheduled, DueAt: { } due } || due > now)
        {
            return null;
        }

        var subjectId = request.SubjectId;
        var key = await keyStore.SubjectKeys.AsNoTracking().FirstOrDefaultAsync(k => k.SubjectId == subjectId, cancellationToken);

        // Pseudonyms are found before the key store changes: one HMAC per period key still held.
        var pseudonyms = await deletions.PseudonymsAsync(subjectId, cancellationToken);
        // The key step stands alone: one row deleted and committed in the key store (its own database,
        // outside the data store's transaction below), so its duration does not grow with the subject's
        // data; the row deletions that follow only tidy what is already unreadable.
        var shredStarted = time.GetTimestamp();
        var keyDestroyed = await keys.ShredAsync(subjectId, cancellationToken);
        var shredMilliseconds = time.GetElapsedTime(shredStarted).TotalMilliseconds;
        var destroyedAt = time.GetUtcNow();

        var fields = await db.PersonalFields.Where(f => f.SubjectId == subjectId).Select(f => f.Field).OrderBy(f => f).ToListAsync(cancellationToken);
        var ownsTransaction = db.Database.CurrentTransaction is null;
        await using var transaction = ownsTransaction ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        var fieldCount = await db.PersonalFields.Where(f => f.SubjectId == subjectId).ExecuteDeleteAsync(cancellationToken);
        var points = await db.Set<LocationPoint>().Where(p => p.SubjectId == subjectId).ExecuteDeleteAsync(cancellationToken);
        var positioning = await db.Set<PositioningState>().Where(p => p.SubjectId == subjectId).ExecuteDeleteAsync(cancellationToken);
        var events = 0;
        var pseudonymRows = 0;
        if (pseudonyms.Count > 0)
        {
            events = await db.Set<LogEvent>().Where(e => pseudonyms.Contains(e.PseudonymId)).ExecuteDeleteAsync(cancellationToken);
            pseudonymRows = await db.Set<EventPseudonym>().Where(p => pseudonyms.Contains(p.Id)).ExecuteDeleteAsync(cancellationToken);
        }

        // Other working rows (transfer consents and the like) go with the subject row by cascade.
        // Consent events stay as evidence of what was agreed, under the bare id, with their receipts:
        // they hold no contact data, and the subject row that linked the id to a person is gone.
        var consentEvents = await db.Set<ConsentEvent>().CountAsync(e => e.SubjectId == subjectId, cancellationToken);
        await db.Subjects.Where(s => s.Id == subjectId).ExecuteDeleteAsync(cancellationToken);

        // Every recipient that received the subject's data is told to delete it (S6.4): a notice each,
        // committed with the cancellation, and listed in the certificate.
        var recipientsNotified = await deletionNotices.AddForCancelledAsync(subjectId, request.Id, cancellationToken);

        request.Status = CancellationStatus.Completed;
        request.CompletedAt = destroyedAt;
        request.Certificate = signer.Sign(CertificatePayload(request, key, keyDestroyed, destroyedAt, fields, fieldCount, points, positioning, events, pseudonymRows, consentEvents, recipientsNotified));
        await audit.SaveChangesAsync(db, new AuditRecord("system", "subject.cancelled", subjectId,
            Detail: $"cancellation {request.Id}; key destroyed: {keyDestroyed} in {shredMilliseconds.ToString("F1", CultureInfo.InvariantCulture)} ms; deleted {fieldCount} fields, {points} location points, {positioning} positioning states, {events} log events; kept {consentEvents} consent events anonymized; recipients notified: {(recipientsNotified.Count == 0 ? "none" : string.Join(",", recipientsNotified))}"),
            cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }

        consentCache.Evict(subjectId);
        return new CancellationCompletion(request.Id, subjectId, keyDestroyed, fieldCount, points, events, consentEvents);
    }

    private byte[] CertificatePayload(
        CancellationRequest request, SubjectKey? key, bool keyDestroyed, DateTimeOffset destroyedAt, IReadOnlyList<string> fields,
        int fieldCount, int points, int positioning, int events, int pseudonyms, int consentEvents, IReadOnlyList<string> recipientsNotified)
    {
        var certificate = new DeletionCertificate(
            Type: DeletionCertificate.TypeName,
            Iss: policy.Document.Controller.Name.En,
            Iat: destroyedAt.ToUnixTimeSeconds(),
            CancellationId: request.Id,
            Sub: request.SubjectId,
            RequestedAt: request.RequestedAt,
            ConfirmedAt: request.ConfirmedAt,
            CompletedAt: destroyedAt,
            PolicyVersion: policy.Version.Number,
            Key: new DeletionCertificateKey($"subject-key:{request.SubjectId}", key?.MasterKeyId, key?.CreatedAt, keyDestroyed ? destroyedAt : null, keyDestroyed),
            Destroyed: new DeletionCertificateCounts(fields, fieldCount, points, positioning, events, pseudonyms),
            Anonymized: new DeletionCertificateKept(consentEvents,
                "Consent events and their receipts are kept as evidence of what was agreed; they name only the account id, which no longer links to any person."),
            RecipientsNotified: recipientsNotified);
        return JsonSerializer.SerializeToUtf8Bytes(certificate, DeletionCertificate.Json);
    }

    private static string Actor(Guid subjectId) => $"subject:{subjectId}";

    private static string Base64UrlToken() => System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
