using System.Globalization;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Residency;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Sharing;

/// <summary>
/// The one gate every disclosure passes (S5.1). It checks the recipient (known, with a valid agreement,
/// agreed to receive these categories for this purpose), the region (a recipient outside a subject's
/// region only through the <see cref="TransferGate"/>, S2.4) and the declared basis for every subject;
/// when all hold, the disclosure, its subject links and its audit entry are stored in one transaction.
/// A refusal stores nothing but its audit entry. Anything unknown or malformed is refused.
/// </summary>
public sealed class DisclosureGate(
    PrivacyDbContext db,
    CompiledPolicy policy,
    ConsentLedger ledger,
    TransferGate transfers,
    IdentifyingAuthorizations authorizations,
    PublicDisclosures publicDisclosures,
    SubjectAges ages,
    AuditLog audit,
    TimeProvider time)
{
    /// <summary>The most subjects one disclosure may name.</summary>
    public const int MaxSubjects = 1_000_000;

    private const string GateClause = "S5.1";
    private const string DeIdentifiedClause = "S5.2";
    private const string AuthorizationClause = "S5.3";
    private const string PublicClause = "S5.4";
    private const string LegalClause = "S5.6";
    private const string TransferClause = "S2.4";

    /// <summary>
    /// Checks the basis for every subject; when it holds, stores the disclosure (disclosures and
    /// disclosure_subjects rows) and its audit entry in one transaction and returns Allowed with the
    /// id; otherwise stores nothing but an audit entry of the refusal.
    /// </summary>
    public async Task<DisclosureDecision> DiscloseAsync(DisclosureRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var decision = await CheckAsync(request, cancellationToken);
        if (!decision.Allowed)
        {
            await RefuseAsync(request, decision, cancellationToken);
            return decision;
        }

        var id = Guid.CreateVersion7();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (request.Basis == DisclosureBasis.LegalException)
        {
            // Once: only the writer that moves the request from approved to disclosed goes on.
            var claimed = await db.Set<LegalRequest>()
                .Where(r => r.Id == request.LegalRequestId && r.Status == LegalRequestStatus.Approved)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, LegalRequestStatus.Disclosed).SetProperty(r => r.DisclosureId, id), cancellationToken);
            if (claimed == 0)
            {
                await transaction.RollbackAsync(cancellationToken);
                var refused = Refuse(DisclosureRefusal.LegalRequestNotApproved, LegalClause, "The legal request was disclosed already.");
                await RefuseAsync(request, refused, cancellationToken);
                return refused;
            }
        }

        var subjects = request.SubjectIds.Distinct().ToList();
        var disclosure = new Disclosure
        {
            Id = id,
            RecipientId = request.RecipientId,
            Basis = request.Basis,
            Purpose = request.Purpose,
            Categories = [.. request.Categories.Distinct(StringComparer.Ordinal)],
            SubjectCount = subjects.Count,
            Sha256 = [.. request.Sha256],
            KReached = request.KReached,
            LegalRequestId = request.LegalRequestId,
            PublicNoticeId = request.PublicNoticeId,
            Actor = request.Actor,
            Description = request.Description,
            At = time.GetUtcNow(),
        };
        db.Add(disclosure);
        await audit.AppendAsync(db, new AuditRecord(request.Actor, "disclosure.made", subjects.Count == 1 ? subjects[0] : null, Purpose: request.Purpose,
            Detail: $"disclosure {id}; recipient {request.RecipientId}; basis {LegalRequests.Name(request.Basis)}; categories {string.Join(",", disclosure.Categories)}; subjects {subjects.Count}; sha256 {Convert.ToHexStringLower(request.Sha256)}{(request.KReached is { } k ? $"; k {k}" : string.Empty)}{(request.LegalRequestId is { } r ? $"; legal request {r}" : string.Empty)}"),
            cancellationToken);
        await db.SaveChangesAsync(cancellationToken);

        // A dataset links tens of thousands of subjects: in bulk, after the disclosure row they refer to.
        await BulkInsert.InsertAsync(db, [.. subjects.Select(s => new DisclosureSubject { DisclosureId = id, SubjectId = s })], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return new DisclosureDecision(true, DisclosureRefusal.None, ClauseOf(request.Basis), $"Disclosed to {request.RecipientId} on the {LegalRequests.Name(request.Basis)} basis.", id);
    }

    /// <summary>
    /// The same checks as <see cref="DiscloseAsync"/>, storing nothing (not even an audit entry): for a
    /// caller that must know whether data may leave before it reads the data to hash it. Only
    /// <see cref="DiscloseAsync"/> makes a disclosure.
    /// </summary>
    public async Task<DisclosureDecision> CheckAsync(DisclosureRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Malformed(request) is { } malformed)
        {
            return Refuse(DisclosureRefusal.InvalidRequest, GateClause, malformed);
        }

        var recipient = await db.Set<Recipient>().AsNoTracking().Include(r => r.Agreements).FirstOrDefaultAsync(r => r.Id == request.RecipientId, cancellationToken);
        if (recipient is null)
        {
            return Refuse(DisclosureRefusal.UnknownRecipient, GateClause, "There is no recipient with this id.");
        }

        var categories = request.Categories.Distinct(StringComparer.Ordinal).ToList();
        var legal = request.Basis == DisclosureBasis.LegalException;
        if (categories.FirstOrDefault(c => policy.Category(c) == CategoryId.Undeclared) is { } unknownCategory)
        {
            return Refuse(DisclosureRefusal.InvalidRequest, GateClause, $"The policy declares no category '{Clip(unknownCategory)}'.");
        }

        if (!legal && policy.Purpose(request.Purpose) == PurposeId.Undeclared)
        {
            return Refuse(DisclosureRefusal.InvalidRequest, GateClause, $"The policy declares no purpose '{Clip(request.Purpose)}'.");
        }

        var subjects = request.SubjectIds.Distinct().ToList();
        if (await CountKnownAsync(subjects, cancellationToken) != subjects.Count)
        {
            return Refuse(DisclosureRefusal.InvalidRequest, GateClause, "Some subject ids name no subject.");
        }

        var now = time.GetUtcNow();
        if (!(legal && recipient.Kind == RecipientKind.Authority) && !recipient.HasValidAgreement(now))
        {
            return Refuse(DisclosureRefusal.NoValidAgreement, DeIdentifiedClause,
                $"Recipient {recipient.Id} holds no agreement valid now (signed on or before now, expiring after now); nothing goes to it.");
        }

        if (!legal)
        {
            if (categories.FirstOrDefault(c => !recipient.Categories.Contains(c, StringComparer.Ordinal)) is { } notAgreed)
            {
                return Refuse(DisclosureRefusal.CategoryNotAgreed, GateClause, $"Recipient {recipient.Id} is not agreed to receive '{notAgreed}'.");
            }

            if (!recipient.Purposes.Contains(request.Purpose, StringComparer.Ordinal))
            {
                return Refuse(DisclosureRefusal.PurposeNotAgreed, GateClause, $"Recipient {recipient.Id} is not agreed to receive data for '{request.Purpose}'.");
            }
        }

        var basis = request.Basis switch
        {
            DisclosureBasis.DeIdentified => CheckDeIdentified(request, recipient, categories),
            DisclosureBasis.LegalException => await CheckLegalAsync(request, recipient, categories, subjects, cancellationToken),
            _ => null,
        };
        if (basis is not null)
        {
            return basis;
        }

        PublicDisclosureNotice? notice = null;
        if (request.Basis == DisclosureBasis.PublicDisclosure)
        {
            notice = request.PublicNoticeId is { } noticeId
                ? await db.Set<PublicDisclosureNotice>().AsNoTracking().FirstOrDefaultAsync(n => n.Id == noticeId, cancellationToken)
                : null;
            if (notice is null)
            {
                return Refuse(DisclosureRefusal.InvalidRequest, PublicClause, "A public disclosure names an existing public-disclosure notice.");
            }

            if (categories.FirstOrDefault(c => !notice.Categories.Contains(c, StringComparer.Ordinal)) is { } notNoticed)
            {
                return Refuse(DisclosureRefusal.CategoryNotAgreed, PublicClause, $"The notice does not tell subjects that '{notNoticed}' would be disclosed.");
            }
        }

        var transferPurpose = request.Purpose;
        var categoryIds = categories.Select(policy.Category).ToArray();
        var purposeId = policy.Purpose(request.Purpose);
        var recipientRegion = policy.Region(recipient.Region);
        var states = await ledger.GetStatesAsync(subjects, cancellationToken);
        foreach (var subjectId in subjects)
        {
            var state = states[subjectId];

            // A subject homed in the recipient's region needs no transfer; any other goes to the transfer gate (S2.4).
            if (state.Region != recipientRegion || recipientRegion == RegionId.Undeclared)
            {
                var transfer = await transfers.DecideAsync(subjectId, recipient.Region, recipient.PolicyClass ?? recipient.Id, transferPurpose, categories, cancellationToken);
                if (!transfer.Allowed)
                {
                    return Refuse(DisclosureRefusal.OutOfRegion, TransferClause,
                        $"Recipient {recipient.Id} is in {recipient.Region}, outside a subject's region, and the transfer gate refuses: {transfer.Reason}.");
                }
            }

            var refusal = request.Basis switch
            {
                DisclosureBasis.Consent => await CheckConsentAsync(subjectId, state, recipient, categories, categoryIds, purposeId, cancellationToken),
                DisclosureBasis.DeIdentified => CheckPurpose(state, categoryIds, purposeId, DeIdentifiedClause),
                DisclosureBasis.ExplicitAuthorization => await CheckAuthorizedAsync(subjectId, state, recipient, categories, categoryIds, purposeId, cancellationToken),
                DisclosureBasis.PublicDisclosure => await publicDisclosures.HasConsentedAsync(subjectId, notice!, cancellationToken)
                    ? null
                    : Refuse(DisclosureRefusal.NoPublicDisclosureConsent, PublicClause, "A subject has not given separate consent to this public-disclosure notice (or withdrew it)."),
                _ => null,
            };
            if (refusal is not null)
            {
                return refusal;
            }
        }

        if (request.Basis == DisclosureBasis.DeIdentified && await AnyMinorAsync(states, cancellationToken))
        {
            return Refuse(DisclosureRefusal.MinorIncluded, DeIdentifiedClause,
                $"A subject is under {policy.Document.Minors.AdultAge} or of unknown age; minors' data never goes to advertisers.");
        }

        return new DisclosureDecision(true, DisclosureRefusal.None, ClauseOf(request.Basis), "The basis holds for every subject.");
    }

    private DisclosureDecision? CheckDeIdentified(DisclosureRequest request, Recipient recipient, List<string> categories)
    {
        var recipientClass = recipient.PolicyClass is null ? null : policy.Document.Sharing.Recipients.FirstOrDefault(c => c.Key == recipient.PolicyClass);
        if (recipient.Kind is not (RecipientKind.Advertiser or RecipientKind.AdvertisingAgent) || recipientClass is not { Receives: RecipientData.DeIdentified })
        {
            return Refuse(DisclosureRefusal.InvalidRequest, DeIdentifiedClause, "De-identified datasets go only to advertisers and agents whose policy class receives de-identified data.");
        }

        if (categories.FirstOrDefault(c => !recipientClass.Categories.Contains(c, StringComparer.Ordinal)) is { } notInClass)
        {
            return Refuse(DisclosureRefusal.CategoryNotAgreed, DeIdentifiedClause, $"The policy does not allow {recipientClass.Key} '{notInClass}'.");
        }

        if (!recipientClass.Purposes.Contains(request.Purpose, StringComparer.Ordinal))
        {
            return Refuse(DisclosureRefusal.PurposeNotAgreed, DeIdentifiedClause, $"The policy does not allow {recipientClass.Key} data for '{request.Purpose}'.");
        }

        if (categories.FirstOrDefault(c => policy[policy.Category(c)].IdentifiesDirectly) is { } identifying)
        {
            return Refuse(DisclosureRefusal.IdentifyingCategory, DeIdentifiedClause, $"'{identifying}' identifies a person directly; it is never part of de-identified data.");
        }

        var k = policy.Document.Sharing.KAnonymity;
        if (request.KReached is not { } reached || reached < k)
        {
            return Refuse(DisclosureRefusal.KTooSmall, DeIdentifiedClause, $"The dataset must be at least {k}-anonymous; it reached {request.KReached?.ToString(CultureInfo.InvariantCulture) ?? "no stated k"}.");
        }

        return null;
    }

    private async Task<DisclosureDecision?> CheckLegalAsync(
        DisclosureRequest request, Recipient recipient, List<string> categories, List<Guid> subjects, CancellationToken cancellationToken)
    {
        if (recipient.Kind != RecipientKind.Authority)
        {
            return Refuse(DisclosureRefusal.InvalidRequest, LegalClause, "A legal-exception disclosure goes only to an authority.");
        }

        var legalRequest = request.LegalRequestId is { } id
            ? await db.Set<LegalRequest>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken)
            : null;
        if (legalRequest is not { Status: LegalRequestStatus.Approved })
        {
            return Refuse(DisclosureRefusal.LegalRequestNotApproved, LegalClause,
                legalRequest is null ? "A legal-exception disclosure names a legal request approved by a second staff member."
                : $"The legal request is {legalRequest.Status.ToString().ToLowerInvariant()}, not approved; only an approved request is disclosed, once.");
        }

        if (legalRequest.RecipientId != recipient.Id
            || !string.Equals(legalRequest.LegalBasis, request.Purpose, StringComparison.Ordinal)
            || categories.Any(c => !legalRequest.Categories.Contains(c, StringComparer.Ordinal))
            || subjects.Any(s => !legalRequest.SubjectIds.Contains(s)))
        {
            return Refuse(DisclosureRefusal.LegalRequestNotApproved, LegalClause,
                "The approved legal request does not cover this disclosure: its recipient, legal basis (the purpose), categories and subjects must include what is disclosed.");
        }

        return null;
    }

    private async Task<DisclosureDecision?> CheckConsentAsync(
        Guid subjectId, SubjectState state, Recipient recipient, List<string> categories, CategoryId[] categoryIds, PurposeId purpose, CancellationToken cancellationToken)
    {
        if (CheckPurpose(state, categoryIds, purpose, GateClause) is { } refused)
        {
            return refused;
        }

        // Consent to a purpose never authorizes identifying data (S5.3): that needs its own authorization.
        var identifying = categories.Where(c => policy[policy.Category(c)].IdentifiesDirectly).ToList();
        return identifying.Count > 0 ? await CheckAuthorizationAsync(subjectId, recipient, identifying, cancellationToken) : null;
    }

    private async Task<DisclosureDecision?> CheckAuthorizedAsync(
        Guid subjectId, SubjectState state, Recipient recipient, List<string> categories, CategoryId[] categoryIds, PurposeId purpose, CancellationToken cancellationToken)
    {
        var identifying = categories.Where(c => policy[policy.Category(c)].IdentifiesDirectly).ToList();
        if (identifying.Count == 0)
        {
            return Refuse(DisclosureRefusal.InvalidRequest, AuthorizationClause, "An explicit-authorization disclosure names at least one identifying category.");
        }

        return await CheckAuthorizationAsync(subjectId, recipient, identifying, cancellationToken)
            ?? CheckPurpose(state, categoryIds, purpose, GateClause);
    }

    private async Task<DisclosureDecision?> CheckAuthorizationAsync(Guid subjectId, Recipient recipient, List<string> identifying, CancellationToken cancellationToken)
    {
        var authorized = await authorizations.CurrentAsync(subjectId, recipient.Id, cancellationToken);
        return identifying.FirstOrDefault(c => !authorized.Contains(c, StringComparer.Ordinal)) is { } missing
            ? Refuse(DisclosureRefusal.NotAuthorized, AuthorizationClause, $"A subject has not explicitly authorized {recipient.Id} to receive '{missing}' (or revoked it).")
            : null;
    }

    private DisclosureDecision? CheckPurpose(in SubjectState state, CategoryId[] categories, PurposeId purpose, string clause)
    {
        foreach (var category in categories)
        {
            var decision = policy.Decide(state, category, purpose);
            if (!decision.Allowed)
            {
                return Refuse(DisclosureRefusal.NotConsented, clause,
                    $"The purpose gate refuses '{policy[purpose].Key}' the use of '{policy[category].Key}' for a subject: {decision.Reason} ({decision.Clause}).");
            }
        }

        return null;
    }

    /// <summary>
    /// Whether any subject is below the adult age, or of unknown age (failing closed). The birth dates are
    /// read in one batch, each read audited, before the disclosure can be recorded.
    /// </summary>
    private async Task<bool> AnyMinorAsync(IReadOnlyDictionary<Guid, SubjectState> states, CancellationToken cancellationToken)
    {
        var known = await ages.AgesAsync(states, SubjectAges.Actor, cancellationToken);
        var adultAge = policy.Document.Minors.AdultAge;
        return states.Keys.Any(s => !known.TryGetValue(s, out var age) || age is null || age < adultAge);
    }

    // Above this many subjects, CountKnownAsync reads every id once.
    private const int ScanAbove = 2_000;

    private async Task<int> CountKnownAsync(List<Guid> subjects, CancellationToken cancellationToken)
    {
        // For many subjects one pass over the ids is cheaper than queries of a thousand parameters each
        // (SQLite finds every named parameter by a linear search).
        var known = 0;
        if (subjects.Count > ScanAbove)
        {
            var wanted = subjects.ToHashSet();
            await foreach (var id in db.Subjects.AsNoTracking().Select(s => s.Id).AsAsyncEnumerable().WithCancellation(cancellationToken))
            {
                known += wanted.Contains(id) ? 1 : 0;
            }

            return known;
        }

        foreach (var chunk in subjects.Chunk(1000))
        {
            known += await db.Subjects.CountAsync(s => chunk.Contains(s.Id), cancellationToken);
        }

        return known;
    }

    private async Task RefuseAsync(DisclosureRequest request, DisclosureDecision decision, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        var actor = string.IsNullOrWhiteSpace(request.Actor) || request.Actor.Length > 128 ? "system" : request.Actor;
        var purpose = request.Purpose is { Length: > 0 and <= 128 } p ? p : null;
        var subjects = request.SubjectIds?.Count ?? 0;
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "disclosure.refused", Purpose: purpose,
            Detail: $"recipient {Clip(request.RecipientId)}; basis {LegalRequests.Name(request.Basis)}; subjects {subjects}; refused {decision.Refusal} ({decision.Clause}): {decision.Detail}"),
            cancellationToken);
    }

    private static string? Malformed(DisclosureRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.RecipientId) || request.RecipientId.Length > RecipientConfiguration.IdLength)
        {
            return "A disclosure names its recipient.";
        }

        if (!Enum.IsDefined(request.Basis))
        {
            return "A disclosure names one of the declared bases.";
        }

        if (string.IsNullOrWhiteSpace(request.Purpose) || request.Purpose.Length > 128)
        {
            return "A disclosure names its purpose.";
        }

        if (request.Categories is null || request.Categories.Count == 0 || request.Categories.Any(string.IsNullOrEmpty))
        {
            return "A disclosure names at least one category.";
        }

        if (request.SubjectIds is null || request.SubjectIds.Count is 0 or > MaxSubjects || request.SubjectIds.Contains(Guid.Empty))
        {
            return $"A disclosure names 1 to {MaxSubjects} subjects.";
        }

        if (request.Sha256 is not { Length: 32 })
        {
            return "A disclosure carries the SHA-256 (32 bytes) of what leaves.";
        }

        if (string.IsNullOrWhiteSpace(request.Actor) || request.Actor.Length > 128 || request.Description is { Length: > 500 } || request.KReached is < 1)
        {
            return "The actor (1 to 128 characters), description (at most 500) or k (at least 1) is out of range.";
        }

        return null;
    }

    private static string ClauseOf(DisclosureBasis basis) => basis switch
    {
        DisclosureBasis.DeIdentified => DeIdentifiedClause,
        DisclosureBasis.ExplicitAuthorization => AuthorizationClause,
        DisclosureBasis.PublicDisclosure => PublicClause,
        DisclosureBasis.LegalException => LegalClause,
        _ => GateClause,
    };

    private static DisclosureDecision Refuse(DisclosureRefusal refusal, string clause, string detail) => new(false, refusal, clause, detail);

    private static string Clip(string? value) => value is null ? string.Empty : value.Length > 64 ? value[..64] : value;
}
