using System.Text.RegularExpressions;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Sharing;

/// <summary>What a recipient is to be: every field, as a create or a full update.</summary>
public sealed record RecipientDraft(
    string Name, RecipientKind Kind, string? PolicyClass, string Region, IReadOnlyList<string> Categories, IReadOnlyList<string> Purposes, string? ContactEmail);

/// <summary>A new agreement with a recipient.</summary>
public sealed record AgreementDraft(string Kind, string Reference, DateTimeOffset SignedAt, DateTimeOffset ExpiresAt);

/// <summary>
/// Recipients and their agreements, checked against the policy: an advertiser or agent names one of the
/// policy's recipient classes and gets at most what that class may receive, under an agreement kind the
/// class accepts; a processor or authority may be given categories and purposes the policy lists. Every
/// change is audited with the staff member who made it.
/// </summary>
public sealed partial class Recipients(PrivacyDbContext db, CompiledPolicy policy, AuditLog audit, TimeProvider time)
{
    private static readonly string[] AgreementKinds = [RecipientAgreement.DataProcessingAgreement, RecipientAgreement.CommitmentLetter];

    /// <summary>Every recipient with its agreements, by id.</summary>
    public async Task<IReadOnlyList<Recipient>> ListAsync(CancellationToken cancellationToken = default) =>
        await db.Set<Recipient>().AsNoTracking().Include(r => r.Agreements).OrderBy(r => r.Id).ToListAsync(cancellationToken);

    public Task<Recipient?> FindAsync(string id, CancellationToken cancellationToken = default) =>
        db.Set<Recipient>().AsNoTracking().Include(r => r.Agreements).FirstOrDefaultAsync(r => r.Id == id, cancellationToken);

    /// <summary>Creates the recipient <paramref name="id"/> or replaces its fields; <c>created</c> says which.</summary>
    public async Task<(SharingOutcome<Recipient> Outcome, bool Created)> SaveAsync(string id, RecipientDraft draft, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var errors = Check(id, draft);
        if (errors.Any)
        {
            return (SharingOutcome.Invalid<Recipient>(errors.ToDictionary()), false);
        }

        var now = time.GetUtcNow();
        var recipient = await db.Set<Recipient>().Include(r => r.Agreements).FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        var created = recipient is null;
        if (recipient is null)
        {
            recipient = new Recipient { Id = id, CreatedAt = now };
            db.Add(recipient);
        }

        recipient.Name = draft.Name.Trim();
        recipient.Kind = draft.Kind;
        recipient.PolicyClass = draft.PolicyClass;
        recipient.Region = draft.Region;
        recipient.Categories = [.. draft.Categories.Distinct(StringComparer.Ordinal)];
        recipient.Purposes = [.. draft.Purposes.Distinct(StringComparer.Ordinal)];
        recipient.ContactEmail = string.IsNullOrWhiteSpace(draft.ContactEmail) ? null : draft.ContactEmail.Trim();
        recipient.UpdatedAt = now;
        await audit.SaveChangesAsync(db, new AuditRecord(actor, created ? "recipient.created" : "recipient.updated",
            Detail: $"recipient {id}; kind {draft.Kind}; class {draft.PolicyClass ?? "none"}; region {draft.Region}; categories {string.Join(",", recipient.Categories)}; purposes {string.Join(",", recipient.Purposes)}"),
            cancellationToken);
        return (SharingOutcome.Ok(recipient), created);
    }

    /// <summary>Adds an agreement to a recipient; an advertiser's or agent's must be of a kind its policy class accepts.</summary>
    public async Task<SharingOutcome<RecipientAgreement>> AddAgreementAsync(string recipientId, AgreementDraft draft, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var recipient = await db.Set<Recipient>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == recipientId, cancellationToken);
        if (recipient is null)
        {
            return SharingOutcome.Fail<RecipientAgreement>(SharingProblem.NotFound, "There is no recipient with this id.");
        }

        var errors = new FieldErrors();
        var accepted = ClassOf(recipient.PolicyClass)?.Agreements.ToArray() ?? AgreementKinds;
        if (!accepted.Contains(draft.Kind, StringComparer.Ordinal))
        {
            errors.Add("kind", $"One of: {string.Join(", ", accepted)}.");
        }

        if (string.IsNullOrWhiteSpace(draft.Reference) || draft.Reference.Length > 200)
        {
            errors.Add("reference", "The agreement's reference, 1 to 200 characters.");
        }

        if (draft.ExpiresAt <= draft.SignedAt)
        {
            errors.Add("expiresAt", "An expiry after the signing time.");
        }

        if (errors.Any)
        {
            return SharingOutcome.Invalid<RecipientAgreement>(errors.ToDictionary());
        }

        var agreement = new RecipientAgreement
        {
            Id = Guid.CreateVersion7(),
            RecipientId = recipientId,
            Kind = draft.Kind,
            Reference = draft.Reference.Trim(),
            SignedAt = draft.SignedAt,
            ExpiresAt = draft.ExpiresAt,
            AddedAt = time.GetUtcNow(),
            AddedBy = actor,
        };
        db.Add(agreement);
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "recipient.agreement-added",
            Detail: $"recipient {recipientId}; agreement {agreement.Id} {draft.Kind}; signed {draft.SignedAt:O}; expires {draft.ExpiresAt:O}"), cancellationToken);
        return SharingOutcome.Ok(agreement);
    }

    internal RecipientClass? ClassOf(string? key) =>
        key is null ? null : policy.Document.Sharing.Recipients.FirstOrDefault(c => c.Key == key);

    private FieldErrors Check(string id, RecipientDraft draft)
    {
        var errors = new FieldErrors();
        if (id is null || !Slug().IsMatch(id))
        {
            errors.Add("id", "A slug of 2 to 64 lower-case letters, digits and hyphens, such as acme-ads.");
        }

        if (string.IsNullOrWhiteSpace(draft.Name) || draft.Name.Length > 200)
        {
            errors.Add("name", "A name of 1 to 200 characters.");
        }

        if (draft.Region is null || !RegionCode().IsMatch(draft.Region))
        {
            errors.Add("region", "A region code of 2 to 8 upper-case letters, such as CN.");
        }

        if (draft.ContactEmail is { Length: > 0 } email && (email.Length > 254 || !email.Contains('@', StringComparison.Ordinal)))
        {
            errors.Add("contactEmail", "An email address of at most 254 characters.");
        }

        var categories = draft.Categories ?? [];
        var purposes = draft.Purposes ?? [];
        if (categories.Count == 0)
        {
            errors.Add("categories", "At least one category the recipient may receive.");
        }

        IEnumerable<string> allowedCategories;
        IEnumerable<string> allowedPurposes;
        if (draft.Kind is RecipientKind.Advertiser or RecipientKind.AdvertisingAgent)
        {
            var recipientClass = ClassOf(draft.PolicyClass);
            if (recipientClass is null)
            {
                errors.Add("policyClass", $"Advertisers and agents name a recipient class of the policy: {string.Join(", ", policy.Document.Sharing.Recipients.Select(c => c.Key))}.");
                return errors;
            }

            allowedCategories = recipientClass.Categories;
            allowedPurposes = recipientClass.Purposes;
        }
        else
        {
            if (draft.PolicyClass is not null)
            {
                errors.Add("policyClass", "Only advertisers and advertising agents belong to a policy recipient class.");
            }

            allowedCategories = policy.Categories.Select(c => c.Key);
            allowedPurposes = policy.Purposes.Select(p => p.Key);
        }

        foreach (var category in categories.Where(c => !allowedCategories.Contains(c, StringComparer.Ordinal)))
        {
            errors.Add("categories", $"'{Clip(category)}' is not a category the policy allows this recipient.");
        }

        foreach (var purpose in purposes.Where(p => !allowedPurposes.Contains(p, StringComparer.Ordinal)))
        {
            errors.Add("purposes", $"'{Clip(purpose)}' is not a purpose the policy allows this recipient.");
        }

        return errors;
    }

    private static string Clip(string? value) => value is null ? string.Empty : value.Length > 64 ? value[..64] : value;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,63}$")]
    private static partial Regex Slug();

    [GeneratedRegex("^[A-Z]{2,8}$")]
    private static partial Regex RegionCode();
}
