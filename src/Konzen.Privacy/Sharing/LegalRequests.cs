using Konzen.Privacy.Audit;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Konzen.Privacy.Sharing;

/// <summary>Where a legal request stands.</summary>
public enum LegalRequestStatus
{
    /// <summary>Filed, waiting for a second staff member.</summary>
    Pending,

    Approved,

    Rejected,

    /// <summary>Approved and disclosed; a request is disclosed once.</summary>
    Disclosed,
}

/// <summary>
/// A request from an authority to disclose without consent under one of the policy's legal exceptions
/// (S5.6): filed by one staff member, decided by another (four eyes), disclosed at most once.
/// </summary>
public sealed class LegalRequest
{
    public Guid Id { get; set; }

    /// <summary>One of the policy's legal-exception ids, such as <c>criminal-justice</c>.</summary>
    public string LegalBasis { get; set; } = string.Empty;

    public string Authority { get; set; } = string.Empty;

    /// <summary>The reference of the authority's document (warrant, letter).</summary>
    public string DocumentReference { get; set; } = string.Empty;

    /// <summary>The authority as a recipient (kind Authority).</summary>
    public string RecipientId { get; set; } = string.Empty;

    public List<Guid> SubjectIds { get; set; } = [];

    public List<string> Categories { get; set; } = [];

    public string PurposeText { get; set; } = string.Empty;

    public LegalRequestStatus Status { get; set; }

    public string FiledBy { get; set; } = string.Empty;

    public DateTimeOffset FiledAt { get; set; }

    public string? DecidedBy { get; set; }

    public DateTimeOffset? DecidedAt { get; set; }

    public string? DecisionReason { get; set; }

    public Guid? DisclosureId { get; set; }
}

/// <summary>A new legal request as filed.</summary>
public sealed record LegalRequestDraft(
    string LegalBasis, string Authority, string DocumentReference, string RecipientId,
    IReadOnlyList<Guid> SubjectIds, IReadOnlyList<string> Categories, string PurposeText);

/// <summary>Counts of disclosures in a period, by basis and, for legal exceptions, by legal basis. Nothing about persons.</summary>
public sealed record TransparencyReport(
    DateTimeOffset From, DateTimeOffset To, int Disclosures,
    IReadOnlyDictionary<string, int> ByBasis, IReadOnlyDictionary<string, int> LegalExceptionsByLegalBasis,
    int LegalRequestsFiled, int LegalRequestsRejected);

/// <summary>Legal requests with four eyes, and the transparency report (S5.6).</summary>
public sealed class LegalRequests(PrivacyDbContext db, CompiledPolicy policy, AuditLog audit, TimeProvider time)
{
    /// <summary>The most subjects one request may name.</summary>
    public const int MaxSubjects = 1000;

    public async Task<SharingOutcome<LegalRequest>> FileAsync(LegalRequestDraft draft, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var errors = new FieldErrors();
        if (!policy.Document.Sharing.LegalExceptions.Any(e => e.Id == draft.LegalBasis))
        {
            errors.Add("legalBasis", $"One of the policy's legal exceptions: {string.Join(", ", policy.Document.Sharing.LegalExceptions.Select(e => e.Id))}.");
        }

        Text(errors, "authority", draft.Authority, 200);
        Text(errors, "documentReference", draft.DocumentReference, 200);
        Text(errors, "purpose", draft.PurposeText, 1000);
        if (draft.SubjectIds is null || draft.SubjectIds.Count is 0 or > MaxSubjects || draft.SubjectIds.Contains(Guid.Empty))
        {
            errors.Add("subjectIds", $"1 to {MaxSubjects} subject ids.");
        }

        if (draft.Categories is null || draft.Categories.Count == 0 || draft.Categories.Any(c => policy.Category(c ?? string.Empty) == CategoryId.Undeclared))
        {
            errors.Add("categories", "One or more categories the policy declares.");
        }

        var recipient = draft.RecipientId is null ? null : await db.Set<Recipient>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == draft.RecipientId, cancellationToken);
        if (recipient is not { Kind: RecipientKind.Authority })
        {
            errors.Add("recipientId", "A recipient of kind authority.");
        }

        if (errors.Any)
        {
            return SharingOutcome.Invalid<LegalRequest>(errors.ToDictionary());
        }

        var request = new LegalRequest
        {
            Id = Guid.CreateVersion7(),
            LegalBasis = draft.LegalBasis,
            Authority = draft.Authority.Trim(),
            DocumentReference = draft.DocumentReference.Trim(),
            RecipientId = draft.RecipientId!,
            SubjectIds = [.. draft.SubjectIds!.Distinct()],
            Categories = [.. draft.Categories!.Distinct(StringComparer.Ordinal)],
            PurposeText = draft.PurposeText.Trim(),
            Status = LegalRequestStatus.Pending,
            FiledBy = actor,
            FiledAt = time.GetUtcNow(),
        };
        db.Add(request);
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "legal-request.filed",
            Detail: $"legal request {request.Id}; basis {request.LegalBasis}; recipient {request.RecipientId}; subjects {request.SubjectIds.Count}; categories {string.Join(",", request.Categories)}"),
            cancellationToken);
        return SharingOutcome.Ok(request);
    }

    /// <summary>
    /// A second staff member approves or rejects a pending request. The filer deciding their own request
    /// is refused (<see cref="SharingProblem.SameStaffMember"/>), as is deciding one already decided.
    /// </summary>
    public async Task<SharingOutcome<LegalRequest>> DecideAsync(Guid id, bool approve, string? reason, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        if (reason is { Length: > 1000 })
        {
            return SharingOutcome.Invalid<LegalRequest>(new Dictionary<string, string[]>(StringComparer.Ordinal) { ["reason"] = ["At most 1,000 characters."] });
        }

        var request = await db.Set<LegalRequest>().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (request is null)
        {
            return SharingOutcome.Fail<LegalRequest>(SharingProblem.NotFound, "There is no legal request with this id.");
        }

        if (string.Equals(request.FiledBy, actor, StringComparison.Ordinal))
        {
            return SharingOutcome.Fail<LegalRequest>(SharingProblem.SameStaffMember,
                "A legal request is decided by a staff member other than the one who filed it (four eyes).");
        }

        if (request.Status != LegalRequestStatus.Pending)
        {
            return SharingOutcome.Fail<LegalRequest>(SharingProblem.Conflict, $"The request was already decided: it is {request.Status.ToString().ToLowerInvariant()}.");
        }

        request.Status = approve ? LegalRequestStatus.Approved : LegalRequestStatus.Rejected;
        request.DecidedBy = actor;
        request.DecidedAt = time.GetUtcNow();
        request.DecisionReason = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        await audit.SaveChangesAsync(db, new AuditRecord(actor, approve ? "legal-request.approved" : "legal-request.rejected",
            Detail: $"legal request {request.Id}; basis {request.LegalBasis}; filed by {request.FiledBy}"), cancellationToken);
        return SharingOutcome.Ok(request);
    }

    public Task<LegalRequest?> FindAsync(Guid id, CancellationToken cancellationToken = default) =>
        db.Set<LegalRequest>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);

    /// <summary>Requests newest first.</summary>
    public async Task<IReadOnlyList<LegalRequest>> ListAsync(int limit, CancellationToken cancellationToken = default) =>
        await db.Set<LegalRequest>().AsNoTracking().OrderByDescending(r => r.FiledAt).Take(limit).ToListAsync(cancellationToken);

    /// <summary>Counts of disclosures made from <paramref name="from"/> to <paramref name="to"/>, both included: every basis and every legal exception appear, zero or not.</summary>
    public async Task<TransparencyReport> TransparencyAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        // Counted in the store, by group: the report reads a few numbers, never the disclosures themselves.
        var inPeriod = db.Set<Disclosure>().AsNoTracking().Where(d => d.At >= from && d.At <= to);
        var perBasis = await inPeriod.GroupBy(d => d.Basis).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        var perLegalBasis = await inPeriod.Where(d => d.Basis == DisclosureBasis.LegalException)
            .Join(db.Set<LegalRequest>(), d => d.LegalRequestId, r => (Guid?)r.Id, (d, r) => r.LegalBasis)
            .GroupBy(b => b).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        var filed = await db.Set<LegalRequest>().AsNoTracking().Where(r => r.FiledAt >= from && r.FiledAt <= to)
            .GroupBy(r => r.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);

        var byBasis = Enum.GetValues<DisclosureBasis>().ToDictionary(Name, b => perBasis.FirstOrDefault(p => p.Key == b)?.Count ?? 0, StringComparer.Ordinal);
        var byLegal = policy.Document.Sharing.LegalExceptions.ToDictionary(
            e => e.Id, e => perLegalBasis.FirstOrDefault(p => p.Key == e.Id)?.Count ?? 0, StringComparer.Ordinal);
        return new TransparencyReport(from, to, perBasis.Sum(p => p.Count), byBasis, byLegal,
            filed.Sum(f => f.Count), filed.FirstOrDefault(f => f.Key == LegalRequestStatus.Rejected)?.Count ?? 0);
    }

    /// <summary>The wire name of a basis: <c>de-identified</c>, <c>legal-exception</c>.</summary>
    public static string Name(DisclosureBasis basis) => basis switch
    {
        DisclosureBasis.Consent => "consent",
        DisclosureBasis.DeIdentified => "de-identified",
        DisclosureBasis.ExplicitAuthorization => "explicit-authorization",
        DisclosureBasis.PublicDisclosure => "public-disclosure",
        _ => "legal-exception",
    };

    private static void Text(FieldErrors errors, string field, string? value, int max)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > max)
        {
            errors.Add(field, $"1 to {max} characters.");
        }
    }
}

internal sealed class LegalRequestConfiguration : IEntityTypeConfiguration<LegalRequest>
{
    public void Configure(EntityTypeBuilder<LegalRequest> builder)
    {
        builder.ToTable("legal_requests");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.LegalBasis).HasMaxLength(64);
        builder.Property(r => r.Authority).HasMaxLength(200);
        builder.Property(r => r.DocumentReference).HasMaxLength(200);
        builder.Property(r => r.RecipientId).HasMaxLength(RecipientConfiguration.IdLength);
        builder.Property(r => r.PurposeText).HasMaxLength(1000);
        builder.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.FiledBy).HasMaxLength(128);
        builder.Property(r => r.DecidedBy).HasMaxLength(128);
        builder.Property(r => r.DecisionReason).HasMaxLength(1000);
        builder.HasOne<Recipient>().WithMany().HasForeignKey(r => r.RecipientId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(r => r.FiledAt);
    }
}
