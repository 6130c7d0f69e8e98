using System.Security.Cryptography;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Rights;

/// <summary>
/// A change of email address or phone number waiting for its code. The new address is sealed under
/// the subject's data key (so a cancellation shreds it too); the code is kept only as an HMAC.
/// </summary>
public sealed class CorrectionRequest : Residency.ISubjectData
{
    public Guid Id { get; set; }

    public Guid SubjectId { get; set; }

    /// <summary>email or phone; one waiting change per channel.</summary>
    public string Channel { get; set; } = string.Empty;

    /// <summary>The new address, sealed by the vault's cipher under the subject's key.</summary>
    public byte[] NewValue { get; set; } = [];

    public byte[] CodeHash { get; set; } = [];

    public DateTimeOffset ExpiresAt { get; set; }

    public int Attempts { get; set; }
}

internal sealed class CorrectionRequestConfiguration : IEntityTypeConfiguration<CorrectionRequest>
{
    public void Configure(EntityTypeBuilder<CorrectionRequest> builder)
    {
        builder.ToTable("correction_requests");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Channel).HasMaxLength(8);
        builder.Property(c => c.CodeHash).HasMaxLength(32);
        builder.HasIndex(c => new { c.SubjectId, c.Channel }).IsUnique();
        builder.HasOne<Subject>().WithMany().HasForeignKey(c => c.SubjectId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>Why a correction step was refused.</summary>
public enum CorrectionRefusal
{
    /// <summary>Not refused.</summary>
    None,

    /// <summary>Not exactly one well-formed address, or a malformed code.</summary>
    InvalidInput,

    /// <summary>The code is wrong, expired or spent, or no change is waiting.</summary>
    InvalidCode,
}

/// <summary>The outcome of a correction step, with a detail free of personal data.</summary>
public sealed record CorrectionResult(CorrectionRefusal Refusal, string? Detail = null);

/// <summary>
/// Correction of contact details (S6.1) with re-verification: the new address gets a code, and only
/// the code swaps the vault field and its blind index. An address another account holds gets the
/// same answer ("sent") but no code, so the answer never tells who has an account. The audit log
/// records that a channel changed, never the old or the new value.
/// </summary>
public sealed class Corrections(
    PrivacyDbContext db,
    PersonalDataVault vault,
    SubjectKeys keys,
    SubjectSecrets secrets,
    AuditLog audit,
    EmailSender email,
    ISmsSender sms,
    IOptions<SubjectsOptions> options,
    TimeProvider time)
{
    /// <summary>Starts a change to <paramref name="newEmail"/> or <paramref name="newPhone"/> (exactly one).</summary>
    public async Task<CorrectionResult> StartAsync(Guid subjectId, string? newEmail, string? newPhone, CancellationToken cancellationToken = default)
    {
        if ((newEmail is null) == (newPhone is null))
        {
            return new(CorrectionRefusal.InvalidInput, "Give exactly one of email and phone.");
        }

        string channel;
        string address;
        Guid? holder;
        if (newEmail is not null)
        {
            if (!ContactAddress.TryNormalizeEmail(newEmail, out address))
            {
                return new(CorrectionRefusal.InvalidInput, "Not a valid email address.");
            }

            channel = VerificationChannel.Email;
            holder = await vault.FindByEmailAsync(db, address, cancellationToken);
        }
        else
        {
            if (!ContactAddress.TryNormalizePhone(newPhone, out address))
            {
                return new(CorrectionRefusal.InvalidInput, "Not a valid phone number.");
            }

            channel = VerificationChannel.Phone;
            holder = await vault.FindByPhoneAsync(db, address, cancellationToken);
        }

        if (!await db.Subjects.AnyAsync(s => s.Id == subjectId, cancellationToken))
        {
            return new(CorrectionRefusal.InvalidInput, "There is no such account.");
        }

        var actor = $"subject:{subjectId}";
        await db.Set<CorrectionRequest>().Where(c => c.SubjectId == subjectId && c.Channel == channel).ExecuteDeleteAsync(cancellationToken);
        if (holder is not null && holder != subjectId)
        {
            // Another account holds it: the same answer as "sent", no code, nothing stored.
            await audit.SaveChangesAsync(db, new AuditRecord(actor, "contact.change-refused", subjectId, Detail: $"channel: {channel}; address in use"), cancellationToken);
            return new(CorrectionRefusal.None);
        }

        var id = Guid.CreateVersion7(time.GetUtcNow());
        var code = VerificationCodes.New();
        var dataKey = await keys.GetOrCreateAsync(subjectId, cancellationToken);
        db.Set<CorrectionRequest>().Add(new CorrectionRequest
        {
            Id = id,
            SubjectId = subjectId,
            Channel = channel,
            NewValue = FieldCipher.Encrypt(dataKey, subjectId, SealedField(id), address),
            CodeHash = secrets.HashCode(id, channel, code),
            ExpiresAt = time.GetUtcNow() + options.Value.CodeLifetime,
        });
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "contact.change-started", subjectId, Detail: $"channel: {channel}"), cancellationToken);
        if (channel == VerificationChannel.Email)
        {
            await email.SendAsync(new EmailMessage(address, "Confirm your new Konzen email address",
                $"Your code to confirm this address for your Konzen account is {code}. It works once.\n\nIf you did not ask for it, ignore this message."), cancellationToken);
        }
        else
        {
            await sms.SendAsync(address, $"Konzen code {code} to confirm this number (once).", cancellationToken);
        }

        return new(CorrectionRefusal.None);
    }

    /// <summary>Checks the code sent to the new address and, when it matches, swaps the field and its blind index.</summary>
    public async Task<CorrectionResult> VerifyAsync(Guid subjectId, string? channel, string? code, CancellationToken cancellationToken = default)
    {
        if (!VerificationChannel.IsKnown(channel) || !VerificationCodes.IsWellFormed(code))
        {
            return new(CorrectionRefusal.InvalidInput, "Expected channel email or phone and the six digits that were sent.");
        }

        var request = await db.Set<CorrectionRequest>().FirstOrDefaultAsync(c => c.SubjectId == subjectId && c.Channel == channel, cancellationToken);
        if (request is null || time.GetUtcNow() >= request.ExpiresAt || request.Attempts >= options.Value.MaxCodeAttempts)
        {
            return new(CorrectionRefusal.InvalidCode, "No valid code is waiting on this channel; start the change again.");
        }

        if (!CryptographicOperations.FixedTimeEquals(secrets.HashCode(request.Id, request.Channel, code!), request.CodeHash))
        {
            request.Attempts++;
            await db.SaveChangesAsync(cancellationToken);
            return new(CorrectionRefusal.InvalidCode, "The code is wrong.");
        }

        var dataKey = await keys.FindAsync(subjectId, cancellationToken) ?? throw new SubjectKeyMissingException(subjectId);
        var address = FieldCipher.Decrypt(dataKey, subjectId, SealedField(request.Id), request.NewValue);
        var actor = $"subject:{subjectId}";
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Set<CorrectionRequest>().Remove(request);
        var field = channel == VerificationChannel.Email ? PersonalDataVault.EmailField : PersonalDataVault.PhoneField;
        if (await vault.WriteAsync(db, subjectId, field, address, actor, cancellationToken) != VaultWrite.Written)
        {
            // Taken by another account since the code went out; whoever holds the code owns the address.
            await audit.SaveChangesAsync(db, new AuditRecord(actor, "contact.change-refused", subjectId, Detail: $"channel: {channel}; address in use"), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new(CorrectionRefusal.InvalidCode, "This address cannot be used for this account.");
        }

        await audit.SaveChangesAsync(db, new AuditRecord(actor, "contact.corrected", subjectId, field, Detail: $"channel: {channel}; verified by code"), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new(CorrectionRefusal.None);
    }

    private static string SealedField(Guid requestId) => $"correction_requests/{requestId:N}";
}
