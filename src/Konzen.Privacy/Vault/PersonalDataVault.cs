using Konzen.Privacy.Audit;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Residency;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Vault;

/// <summary>The outcome of a read: the gate's decision, and the value only when it allowed the read and the field exists.</summary>
public sealed record VaultRead(PurposeDecision Decision, string? Value);

/// <summary>The outcome of a write.</summary>
public enum VaultWrite
{
    /// <summary>The field was encrypted and saved, with its audit entry.</summary>
    Written,

    /// <summary>Another subject already has this email address or phone number; nothing was saved.</summary>
    ContactInUse,
}

/// <summary>
/// Personal fields, encrypted at rest under each subject's data key, read only through the purpose
/// gate, and audited: every write and every read, allowed or denied, appends an audit entry that
/// names subject, field, purpose and decision but never the value, in the same SaveChanges as the
/// change (for a read, the audit entry is the change).
/// </summary>
public sealed class PersonalDataVault(SubjectKeys keys, BlindIndex index, CompiledPolicy policy, AuditLog audit, ResidencyGuard residency, TimeProvider time)
{
    /// <summary>The category whose value also feeds <see cref="Subjects.Subject.EmailIndex"/>.</summary>
    public const string EmailField = "user.contact.email";

    /// <summary>The category whose value also feeds <see cref="Subjects.Subject.PhoneIndex"/>.</summary>
    public const string PhoneField = "user.contact.phone_number";

    /// <summary>
    /// Encrypts and stores one field of an existing subject (added to <paramref name="db"/> or already
    /// saved). Saves the context, so a caller's pending changes (such as the new subject) commit with
    /// the field and its audit entry. An email or phone also sets the subject's blind index; one that
    /// another subject already has is refused and nothing is saved. Throws
    /// <see cref="ResidencyViolationException"/>, saving nothing, when the subject's region is not the store's.
    /// </summary>
    public async Task<VaultWrite> WriteAsync(
        PrivacyDbContext db, Guid subjectId, string field, string value, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        if (policy.Category(field) == CategoryId.Undeclared)
        {
            throw new ArgumentException("The policy declares no such category of personal information.", nameof(field));
        }

        var subject = await db.Subjects.FindAsync([subjectId], cancellationToken)
            ?? throw new ArgumentException("There is no subject with this id.", nameof(subjectId));

        // Before anything is derived or saved: a store of another region never sees the value (S2.3).
        residency.EnsureWritable(subject.Region);

        switch (field)
        {
            case EmailField:
                var emailIndex = index.Email(value);
                if (await db.Subjects.AnyAsync(s => s.EmailIndex == emailIndex && s.Id != subjectId, cancellationToken))
                {
                    return VaultWrite.ContactInUse;
                }

                subject.EmailIndex = emailIndex;
                break;
            case PhoneField:
                var phoneIndex = index.Phone(value);
                if (await db.Subjects.AnyAsync(s => s.PhoneIndex == phoneIndex && s.Id != subjectId, cancellationToken))
                {
                    return VaultWrite.ContactInUse;
                }

                subject.PhoneIndex = phoneIndex;
                break;
        }

        var dataKey = await keys.GetOrCreateAsync(subjectId, cancellationToken);
        var ciphertext = FieldCipher.Encrypt(dataKey, subjectId, field, value);
        var row = await db.PersonalFields.FindAsync([subjectId, field], cancellationToken);
        if (row is null)
        {
            row = new PersonalField { SubjectId = subjectId, Field = field };
            db.PersonalFields.Add(row);
        }

        row.Ciphertext = ciphertext;
        row.UpdatedAt = time.GetUtcNow();
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "field.written", subjectId, field), cancellationToken);
        return VaultWrite.Written;
    }

    /// <summary>
    /// Reads one field for <paramref name="purpose"/>. The gate decides from the policy and
    /// <paramref name="state"/>; a denied read returns the decision and no value. A field that was
    /// never written reads as null. Throws <see cref="SubjectKeyMissingException"/> when the subject
    /// was shredded and <see cref="VaultIntegrityException"/> when the stored value is not this
    /// subject's field; both are audited before they are thrown.
    /// </summary>
    public async Task<VaultRead> ReadAsync(
        PrivacyDbContext db, SubjectState state, Guid subjectId, string field, string purpose, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(purpose);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var decision = policy.Decide(in state, policy.Category(field), policy.Purpose(purpose));
        var reason = $"{(decision.Allowed ? "allowed" : "denied")}: {decision.Reason} ({decision.Clause}, policy {decision.PolicyVersion})";
        if (!decision.Allowed)
        {
            await AuditReadAsync(db, actor, subjectId, field, purpose, reason, cancellationToken);
            return new VaultRead(decision, null);
        }

        var row = await db.PersonalFields.AsNoTracking()
            .FirstOrDefaultAsync(f => f.SubjectId == subjectId && f.Field == field, cancellationToken);
        string? value = null;
        try
        {
            if (row is not null)
            {
                var dataKey = await keys.FindAsync(subjectId, cancellationToken) ?? throw new SubjectKeyMissingException(subjectId);
                value = FieldCipher.Decrypt(dataKey, subjectId, field, row.Ciphertext);
            }
        }
        catch (Exception e) when (e is SubjectKeyMissingException or VaultIntegrityException)
        {
            var failure = e is SubjectKeyMissingException ? "key shredded" : "integrity check failed";
            await AuditReadAsync(db, actor, subjectId, field, purpose, $"{reason}; not read: {failure}", cancellationToken);
            throw;
        }

        // The value is handed out only once the access is on record.
        await AuditReadAsync(db, actor, subjectId, field, purpose, row is null ? $"{reason}; no value stored" : reason, cancellationToken);
        return new VaultRead(decision, value);
    }

    /// <summary>The subject with this email address (normalized), if any; by blind index, never by plaintext.</summary>
    public Task<Guid?> FindByEmailAsync(PrivacyDbContext db, string email, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var key = index.Email(email);
        return db.Subjects.Where(s => s.EmailIndex == key).Select(s => (Guid?)s.Id).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>The subject with this E.164 phone number, if any; by blind index, never by plaintext.</summary>
    public Task<Guid?> FindByPhoneAsync(PrivacyDbContext db, string phone, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var key = index.Phone(phone);
        return db.Subjects.Where(s => s.PhoneIndex == key).Select(s => (Guid?)s.Id).FirstOrDefaultAsync(cancellationToken);
    }

    private async Task AuditReadAsync(
        PrivacyDbContext db, string actor, Guid subjectId, string field, string purpose, string detail, CancellationToken cancellationToken)
    {
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "field.read", subjectId, field, purpose, detail), cancellationToken);
    }
}
