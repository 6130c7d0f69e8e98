using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Sharing;

/// <summary>
/// A request to a recipient to delete what it received of a subject whose account was cancelled (S6.4).
/// It names the subject only by the former account id the recipient received with the data.
/// </summary>
public sealed class RecipientDeletionNotice
{
    public Guid Id { get; set; }

    public string RecipientId { get; set; } = string.Empty;

    public Guid SubjectId { get; set; }

    public Guid CancellationId { get; set; }

    /// <summary>How many disclosures to the recipient touched the subject.</summary>
    public int Disclosures { get; set; }

    public DateTimeOffset At { get; set; }
}

/// <summary>The recipients told to delete a cancelled subject's data, and what they are told.</summary>
public sealed class DeletionNotices(PrivacyDbContext db, TimeProvider time)
{
    /// <summary>
    /// Adds a deletion notice for every recipient that received the subject's data to the caller's
    /// context (saved with the caller's cancellation) and returns their ids, sorted.
    /// </summary>
    public async Task<IReadOnlyList<string>> AddForCancelledAsync(Guid subjectId, Guid cancellationId, CancellationToken cancellationToken = default)
    {
        var received = await db.Set<DisclosureSubject>().AsNoTracking()
            .Where(l => l.SubjectId == subjectId)
            .Join(db.Set<Disclosure>(), l => l.DisclosureId, d => d.Id, (l, d) => d.RecipientId)
            .ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var recipients = received.GroupBy(r => r, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        foreach (var recipient in recipients)
        {
            db.Add(new RecipientDeletionNotice
            {
                Id = Guid.CreateVersion7(),
                RecipientId = recipient.Key,
                SubjectId = subjectId,
                CancellationId = cancellationId,
                Disclosures = recipient.Count(),
                At = now,
            });
        }

        return [.. recipients.Select(g => g.Key)];
    }

    /// <summary>The recipient's deletion notices, newest first.</summary>
    public async Task<IReadOnlyList<RecipientDeletionNotice>> ForRecipientAsync(string recipientId, CancellationToken cancellationToken = default) =>
        await db.Set<RecipientDeletionNotice>().AsNoTracking().Where(n => n.RecipientId == recipientId)
            .OrderByDescending(n => n.At).ToListAsync(cancellationToken);
}

internal sealed class RecipientDeletionNoticeConfiguration : IEntityTypeConfiguration<RecipientDeletionNotice>
{
    public void Configure(EntityTypeBuilder<RecipientDeletionNotice> builder)
    {
        builder.ToTable("recipient_deletion_notices");
        builder.HasKey(n => n.Id);
        builder.Property(n => n.RecipientId).HasMaxLength(RecipientConfiguration.IdLength);
        builder.HasOne<Recipient>().WithMany().HasForeignKey(n => n.RecipientId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(n => new { n.RecipientId, n.At });
    }
}
