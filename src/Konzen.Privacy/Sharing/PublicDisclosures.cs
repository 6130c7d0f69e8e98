using System.Security.Cryptography;
using System.Text;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Residency;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Sharing;

/// <summary>
/// The notice a public disclosure needs (S5.4): its purpose, the types of information and which of
/// them are sensitive, rendered in English and Simplified Chinese, each text with its SHA-256 so a
/// consent names exactly what the subject was shown.
/// </summary>
public sealed class PublicDisclosureNotice
{
    public Guid Id { get; set; }

    public string PurposeEn { get; set; } = string.Empty;

    public string PurposeZhCn { get; set; } = string.Empty;

    public List<string> Categories { get; set; } = [];

    public string TextEn { get; set; } = string.Empty;

    public string TextZhCn { get; set; } = string.Empty;

    /// <summary>Lower-case hex SHA-256 of the UTF-8 <see cref="TextEn"/>.</summary>
    public string HashEn { get; set; } = string.Empty;

    /// <summary>Lower-case hex SHA-256 of the UTF-8 <see cref="TextZhCn"/>.</summary>
    public string HashZhCn { get; set; } = string.Empty;

    public DateTimeOffset CreatedAt { get; set; }

    public string CreatedBy { get; set; } = string.Empty;

    /// <summary>The language whose text has this hash, or null when it is neither.</summary>
    public PolicyLanguage? LanguageOfHash(string? hash) =>
        string.Equals(hash, HashEn, StringComparison.Ordinal) ? PolicyLanguage.En
        : string.Equals(hash, HashZhCn, StringComparison.Ordinal) ? PolicyLanguage.ZhCn
        : null;
}

/// <summary>A subject's separate consent to, or withdrawal from, one public-disclosure notice. Only ever appended.</summary>
public sealed class PublicDisclosureConsent : ISubjectData
{
    public long Id { get; set; }

    public Guid SubjectId { get; set; }

    public Guid NoticeId { get; set; }

    public bool Granted { get; set; }

    /// <summary>The hash of the notice text consented to; null for a withdrawal.</summary>
    public string? NoticeHash { get; set; }

    public string? Language { get; set; }

    public DateTimeOffset At { get; set; }
}

/// <summary>A notice as a subject sees it, with the subject's current choice (null: never decided).</summary>
public sealed record PublicNoticeView(PublicDisclosureNotice Notice, IReadOnlyList<string> SensitiveCategories, PublicDisclosureConsent? Consent);

/// <summary>Public-disclosure notices and the subjects' separate consents to them (S5.4).</summary>
public sealed class PublicDisclosures(PrivacyDbContext db, CompiledPolicy policy, AuditLog audit, TimeProvider time)
{
    /// <summary>Writes a notice from its purpose (both languages) and the categories to be disclosed.</summary>
    public async Task<SharingOutcome<PublicDisclosureNotice>> CreateNoticeAsync(
        LocalizedText purpose, IReadOnlyList<string> categories, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(purpose?.En) || purpose.En.Length > 1000)
        {
            errors.Add("purpose.en", "The purpose in English, 1 to 1,000 characters.");
        }

        if (string.IsNullOrWhiteSpace(purpose?.ZhCn) || purpose.ZhCn.Length > 1000)
        {
            errors.Add("purpose.zh-CN", "The purpose in Simplified Chinese, 1 to 1,000 characters.");
        }

        if (categories is null || categories.Count == 0 || categories.Any(c => policy.Category(c ?? string.Empty) == CategoryId.Undeclared))
        {
            errors.Add("categories", "One or more categories the policy declares.");
        }

        if (errors.Any)
        {
            return SharingOutcome.Invalid<PublicDisclosureNotice>(errors.ToDictionary());
        }

        List<string> keys = [.. categories!.Distinct(StringComparer.Ordinal)];
        var en = Render(purpose!.En.Trim(), keys, PolicyLanguage.En);
        var zh = Render(purpose.ZhCn.Trim(), keys, PolicyLanguage.ZhCn);
        var notice = new PublicDisclosureNotice
        {
            Id = Guid.CreateVersion7(),
            PurposeEn = purpose.En.Trim(),
            PurposeZhCn = purpose.ZhCn.Trim(),
            Categories = keys,
            TextEn = en,
            TextZhCn = zh,
            HashEn = Hash(en),
            HashZhCn = Hash(zh),
            CreatedAt = time.GetUtcNow(),
            CreatedBy = actor,
        };
        db.Add(notice);
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "public-notice.created",
            Detail: $"notice {notice.Id}; categories {string.Join(",", keys)}; hashes {notice.HashEn} {notice.HashZhCn}"), cancellationToken);
        return SharingOutcome.Ok(notice);
    }

    /// <summary>Every notice, newest first, with the subject's current choice on each.</summary>
    public async Task<IReadOnlyList<PublicNoticeView>> ListAsync(Guid subjectId, CancellationToken cancellationToken = default)
    {
        var notices = await db.Set<PublicDisclosureNotice>().AsNoTracking().OrderByDescending(n => n.CreatedAt).ToListAsync(cancellationToken);
        var consents = await db.Set<PublicDisclosureConsent>().AsNoTracking().Where(c => c.SubjectId == subjectId).OrderBy(c => c.Id).ToListAsync(cancellationToken);
        var latest = consents.GroupBy(c => c.NoticeId).ToDictionary(g => g.Key, g => g.Last());
        return [.. notices.Select(n => new PublicNoticeView(n, Sensitive(n.Categories), latest.GetValueOrDefault(n.Id)))];
    }

    /// <summary>
    /// Records the subject's consent (naming the hash of the notice text it was shown) or withdrawal.
    /// A consent naming any other hash is a conflict and records nothing.
    /// </summary>
    public async Task<SharingOutcome<PublicDisclosureConsent>> RecordAsync(
        Guid subjectId, Guid noticeId, bool granted, string? noticeHash, CancellationToken cancellationToken = default)
    {
        var notice = await db.Set<PublicDisclosureNotice>().AsNoTracking().FirstOrDefaultAsync(n => n.Id == noticeId, cancellationToken);
        if (notice is null || !await db.Subjects.AnyAsync(s => s.Id == subjectId, cancellationToken))
        {
            return SharingOutcome.Fail<PublicDisclosureConsent>(SharingProblem.NotFound, "There is no public-disclosure notice with this id.");
        }

        var language = notice.LanguageOfHash(noticeHash);
        if (granted && language is null)
        {
            return SharingOutcome.Fail<PublicDisclosureConsent>(SharingProblem.Conflict,
                "A consent must name the hash of the notice text shown (from GET /api/v1/me/public-disclosures); this one does not, so nothing was recorded.");
        }

        var row = new PublicDisclosureConsent
        {
            SubjectId = subjectId,
            NoticeId = noticeId,
            Granted = granted,
            NoticeHash = granted ? noticeHash : null,
            Language = granted ? language!.Value.Tag() : null,
            At = time.GetUtcNow(),
        };
        db.Add(row);
        await audit.SaveChangesAsync(db, new AuditRecord($"subject:{subjectId}", granted ? "public-disclosure.consented" : "public-disclosure.withdrawn", subjectId,
            Detail: granted ? $"notice {noticeId}; {row.Language} {noticeHash}" : $"notice {noticeId}"), cancellationToken);
        return SharingOutcome.Ok(row);
    }

    /// <summary>Whether the subject's latest choice on the notice is a consent naming one of its texts.</summary>
    internal async Task<bool> HasConsentedAsync(Guid subjectId, PublicDisclosureNotice notice, CancellationToken cancellationToken)
    {
        var latest = await db.Set<PublicDisclosureConsent>().AsNoTracking()
            .Where(c => c.SubjectId == subjectId && c.NoticeId == notice.Id)
            .OrderByDescending(c => c.Id).FirstOrDefaultAsync(cancellationToken);
        return latest is { Granted: true } && notice.LanguageOfHash(latest.NoticeHash) is not null;
    }

    /// <summary>The notice's categories the policy marks sensitive.</summary>
    public IReadOnlyList<string> Sensitive(IEnumerable<string> categories) =>
        [.. categories.Where(c => policy.Category(c) is var id && id != CategoryId.Undeclared && policy[id].Sensitivity == Sensitivity.Sensitive)];

    private string Render(string purpose, IReadOnlyList<string> categories, PolicyLanguage language)
    {
        var zh = language == PolicyLanguage.ZhCn;
        var separator = zh ? "、" : ", ";
        string Names(IEnumerable<string> keys) => string.Join(separator, keys.Select(k => policy[policy.Category(k)].Name[language]));
        var sensitive = Sensitive(categories);
        var colon = zh ? "：" : ": ";
        var none = zh ? "无" : "none";
        return new StringBuilder()
            .Append(zh ? "公开披露您的个人信息" : "Public disclosure of your personal information").Append('\n')
            .Append(zh ? "目的" : "Purpose").Append(colon).Append(purpose).Append('\n')
            .Append(zh ? "个人信息种类" : "Types of personal information").Append(colon).Append(Names(categories)).Append('\n')
            .Append(zh ? "其中的敏感个人信息" : "Sensitive personal information among them").Append(colon).Append(sensitive.Count == 0 ? none : Names(sensitive)).Append('\n')
            .ToString();
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

internal sealed class PublicDisclosureNoticeConfiguration : IEntityTypeConfiguration<PublicDisclosureNotice>
{
    public void Configure(EntityTypeBuilder<PublicDisclosureNotice> builder)
    {
        builder.ToTable("public_disclosure_notices");
        builder.HasKey(n => n.Id);
        builder.Property(n => n.PurposeEn).HasMaxLength(1000);
        builder.Property(n => n.PurposeZhCn).HasMaxLength(1000);
        builder.Property(n => n.HashEn).HasMaxLength(64);
        builder.Property(n => n.HashZhCn).HasMaxLength(64);
        builder.Property(n => n.CreatedBy).HasMaxLength(128);
    }
}

internal sealed class PublicDisclosureConsentConfiguration : IEntityTypeConfiguration<PublicDisclosureConsent>
{
    public void Configure(EntityTypeBuilder<PublicDisclosureConsent> builder)
    {
        builder.ToTable("public_disclosure_consents");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).ValueGeneratedOnAdd();
        builder.Property(c => c.NoticeHash).HasMaxLength(64);
        builder.Property(c => c.Language).HasMaxLength(8);
        builder.HasIndex(c => new { c.SubjectId, c.NoticeId, c.Id });
        builder.HasOne<Subjects.Subject>().WithMany().HasForeignKey(c => c.SubjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<PublicDisclosureNotice>().WithMany().HasForeignKey(c => c.NoticeId).OnDelete(DeleteBehavior.Cascade);
    }
}
