using Konzen.Privacy.Audit;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Residency;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Sharing;

/// <summary>
/// One explicit authorization, or its revocation, by a subject for one recipient to receive named
/// identifying categories (S5.3). Only ever appended: the current one is the latest row for the
/// pair. Kept apart from the consent ledger, so granting a purpose never authorizes identifying data
/// and authorizing a recipient never consents to a purpose.
/// </summary>
public sealed class IdentifyingAuthorization : ISubjectData
{
    public long Id { get; set; }

    public Guid SubjectId { get; set; }

    public string RecipientId { get; set; } = string.Empty;

    /// <summary>The identifying categories authorized; empty for a revocation.</summary>
    public List<string> Categories { get; set; } = [];

    public bool Granted { get; set; }

    public DateTimeOffset At { get; set; }
}

/// <summary>A subject's current authorization for one recipient.</summary>
public sealed record AuthorizationStatus(string RecipientId, string RecipientName, IReadOnlyList<string> Categories, bool Granted, DateTimeOffset At);

/// <summary>The subjects' authorizations of identifying data per recipient (S5.3).</summary>
public sealed class IdentifyingAuthorizations(PrivacyDbContext db, CompiledPolicy policy, AuditLog audit, TimeProvider time)
{
    /// <summary>The subject's current authorization for every recipient it ever decided on.</summary>
    public async Task<IReadOnlyList<AuthorizationStatus>> ListAsync(Guid subjectId, CancellationToken cancellationToken = default)
    {
        var rows = await db.Set<IdentifyingAuthorization>().AsNoTracking()
            .Where(a => a.SubjectId == subjectId).OrderBy(a => a.Id).ToListAsync(cancellationToken);
        var names = await db.Set<Recipient>().AsNoTracking().ToDictionaryAsync(r => r.Id, r => r.Name, StringComparer.Ordinal, cancellationToken);
        return [.. rows.GroupBy(r => r.RecipientId, StringComparer.Ordinal)
            .Select(g => g.Last())
            .OrderBy(r => r.RecipientId, StringComparer.Ordinal)
            .Select(r => new AuthorizationStatus(r.RecipientId, names.GetValueOrDefault(r.RecipientId, r.RecipientId), r.Categories, r.Granted, r.At))];
    }

    /// <summary>Authorizes <paramref name="recipientId"/> for exactly these identifying categories, replacing any earlier authorization.</summary>
    public async Task<SharingOutcome<AuthorizationStatus>> GrantAsync(
        Guid subjectId, string recipientId, IReadOnlyList<string> categories, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        if (categories is null || categories.Count == 0)
        {
            errors.Add("categories", "At least one identifying category, such as user.contact.email.");
        }
        else
        {
            foreach (var category in categories)
            {
                var id = policy.Category(category ?? string.Empty);
                if (id == CategoryId.Undeclared || !policy[id].IdentifiesDirectly)
                {
                    errors.Add("categories", $"Only categories that identify a person directly need an authorization: {string.Join(", ", policy.Categories.Where(c => c.IdentifiesDirectly).Select(c => c.Key))}.");
                    break;
                }
            }
        }

        if (errors.Any)
        {
            return SharingOutcome.Invalid<AuthorizationStatus>(errors.ToDictionary());
        }

        return await AppendAsync(subjectId, recipientId, [.. categories!.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], true, cancellationToken);
    }

    /// <summary>Revokes the subject's authorization of <paramref name="recipientId"/>; from now on the gate refuses.</summary>
    public Task<SharingOutcome<AuthorizationStatus>> RevokeAsync(Guid subjectId, string recipientId, CancellationToken cancellationToken = default) =>
        AppendAsync(subjectId, recipientId, [], false, cancellationToken);

    /// <summary>The identifying categories the subject authorizes this recipient for now (empty when none or revoked).</summary>
    public async Task<IReadOnlyList<string>> CurrentAsync(Guid subjectId, string recipientId, CancellationToken cancellationToken = default)
    {
        var latest = await db.Set<IdentifyingAuthorization>().AsNoTracking()
            .Where(a => a.SubjectId == subjectId && a.RecipientId == recipientId)
            .OrderByDescending(a => a.Id).FirstOrDefaultAsync(cancellationToken);
        return latest is { Granted: true } ? latest.Categories : [];
    }

    private async Task<SharingOutcome<AuthorizationStatus>> AppendAsync(
        Guid subjectId, string recipientId, List<string> categories, bool granted, CancellationToken cancellationToken)
    {
        var recipient = await db.Set<Recipient>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == recipientId, cancellationToken);
        if (recipient is null || !await db.Subjects.AnyAsync(s => s.Id == subjectId, cancellationToken))
        {
            return SharingOutcome.Fail<AuthorizationStatus>(SharingProblem.NotFound, "There is no recipient with this id.");
        }

        var row = new IdentifyingAuthorization { SubjectId = subjectId, RecipientId = recipientId, Categories = categories, Granted = granted, At = time.GetUtcNow() };
        db.Add(row);
        await audit.SaveChangesAsync(db, new AuditRecord($"subject:{subjectId}", granted ? "authorization.granted" : "authorization.revoked", subjectId,
            Detail: $"recipient {recipientId}; categories {(categories.Count == 0 ? "none" : string.Join(",", categories))}"), cancellationToken);
        return SharingOutcome.Ok(new AuthorizationStatus(recipientId, recipient.Name, categories, granted, row.At));
    }
}

internal sealed class IdentifyingAuthorizationConfiguration : IEntityTypeConfiguration<IdentifyingAuthorization>
{
    public void Configure(EntityTypeBuilder<IdentifyingAuthorization> builder)
    {
        builder.ToTable("identifying_authorizations");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Id).ValueGeneratedOnAdd();
        builder.Property(a => a.RecipientId).HasMaxLength(RecipientConfiguration.IdLength);

        // The gate reads the latest row of one subject and recipient.
        builder.HasIndex(a => new { a.SubjectId, a.RecipientId, a.Id });
        builder.HasOne<Subjects.Subject>().WithMany().HasForeignKey(a => a.SubjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Recipient>().WithMany().HasForeignKey(a => a.RecipientId).OnDelete(DeleteBehavior.Cascade);
    }
}
