using System.Security.Claims;
using System.Security.Cryptography;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Host.Residency;
using Konzen.Privacy.Host.Staff;
using Konzen.Privacy.Host.Subjects;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Sharing;

internal sealed record AgreementView(Guid Id, string Kind, string Reference, DateTimeOffset SignedAt, DateTimeOffset ExpiresAt, bool Valid);

internal sealed record RecipientView(
    string Id, string Name, string Kind, string? PolicyClass, string Region, IReadOnlyList<string> Categories, IReadOnlyList<string> Purposes,
    string? ContactEmail, bool HasValidAgreement, IReadOnlyList<AgreementView> Agreements);

/// <summary>A recipient as staff create or replace it; <see cref="Kind"/> is advertiser, advertising-agent, processor or authority.</summary>
internal sealed record RecipientBody(
    string? Name, string? Kind, string? PolicyClass, string? Region, IReadOnlyList<string>? Categories, IReadOnlyList<string>? Purposes, string? ContactEmail);

/// <summary><see cref="Kind"/>: data-processing-agreement or commitment-letter.</summary>
internal sealed record AgreementBody(string? Kind, string? Reference, DateTimeOffset? SignedAt, DateTimeOffset? ExpiresAt);

/// <summary>A pull of identifying or consented data; <see cref="Basis"/>: consent, explicit-authorization, public-disclosure or legal-exception.</summary>
internal sealed record PullBody(
    string? Basis, string? Purpose, IReadOnlyList<string>? Categories, IReadOnlyList<Guid>? SubjectIds, Guid? LegalRequestId, Guid? PublicNoticeId);

internal sealed record DeletionNoticeView(Guid Id, Guid SubjectId, Guid CancellationId, int Disclosures, DateTimeOffset At);

internal sealed record LegalRequestBody(
    string? LegalBasis, string? Authority, string? DocumentReference, string? RecipientId, IReadOnlyList<Guid>? SubjectIds, IReadOnlyList<string>? Categories, string? Purpose);

internal sealed record LegalRequestView(
    Guid Id, string LegalBasis, string Authority, string DocumentReference, string RecipientId, IReadOnlyList<Guid> SubjectIds, IReadOnlyList<string> Categories,
    string Purpose, string Status, string FiledBy, DateTimeOffset FiledAt, string? DecidedBy, DateTimeOffset? DecidedAt, string? DecisionReason, Guid? DisclosureId);

internal sealed record DecisionBody(string? Reason);

internal sealed record NoticePurposeBody(string? En, [property: System.Text.Json.Serialization.JsonPropertyName("zh-CN")] string? ZhCn);

internal sealed record NoticeBody(NoticePurposeBody? Purpose, IReadOnlyList<string>? Categories);

internal sealed record NoticeTextView(string Text, string Hash);

internal sealed record PublicConsentView(bool Granted, string? NoticeHash, string? Language, DateTimeOffset At);

internal sealed record PublicNoticeItem(
    Guid Id, IReadOnlyDictionary<string, string> Purpose, IReadOnlyList<string> Categories, IReadOnlyList<string> SensitiveCategories,
    IReadOnlyDictionary<string, NoticeTextView> Notice, DateTimeOffset CreatedAt, PublicConsentView? Consent);

internal sealed record PublicConsentBody(string? NoticeHash, string? Language);

internal sealed record AuthorizationBody(IReadOnlyList<string>? Categories);

internal sealed record AuthorizationView(string RecipientId, string RecipientName, IReadOnlyList<string> Categories, bool Granted, DateTimeOffset At);

/// <summary>
/// Sharing (S5): staff manage recipients and agreements, pull data through the disclosure gate, file and
/// decide legal requests and write public-disclosure notices (<c>/api/v1/admin/…</c>); subjects authorize
/// recipients for identifying data and consent to public-disclosure notices (<c>/api/v1/me/…</c>); anyone
/// reads the transparency report (<c>/transparency</c>).
/// </summary>
internal static class SharingEndpoints
{
    public const string DisclosureRefused = "urn:konzen:problem:disclosure-refused";
    public const string FourEyes = "urn:konzen:problem:four-eyes";
    public const string AlreadyDecided = "urn:konzen:problem:legal-request-decided";

    /// <summary>The header naming the disclosure a pull made.</summary>
    public const string DisclosureIdHeader = "Konzen-Disclosure-Id";

    /// <summary>The header with the SHA-256 (hex) of exactly the body returned, as the disclosure records it.</summary>
    public const string DisclosureHashHeader = "Konzen-Disclosure-Sha256";

    private static readonly Dictionary<string, RecipientKind> Kinds = new(StringComparer.Ordinal)
    {
        ["advertiser"] = RecipientKind.Advertiser,
        ["advertising-agent"] = RecipientKind.AdvertisingAgent,
        ["processor"] = RecipientKind.Processor,
        ["authority"] = RecipientKind.Authority,
    };

    // De-identified datasets are built and disclosed by the advertiser dataset builder, not pulled here.
    private static readonly Dictionary<string, DisclosureBasis> PullBases = new(StringComparer.Ordinal)
    {
        ["consent"] = DisclosureBasis.Consent,
        ["explicit-authorization"] = DisclosureBasis.ExplicitAuthorization,
        ["public-disclosure"] = DisclosureBasis.PublicDisclosure,
        ["legal-exception"] = DisclosureBasis.LegalException,
    };

    public static RouteGroupBuilder MapSharingEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/v1/admin").WithTags("Sharing").RequireAuthorization(StaffAuthentication.Policy);
        admin.MapGet("/recipients", ListRecipientsAsync).WithSummary("Every recipient with its agreements.");
        admin.MapGet("/recipients/{id}", RecipientAsync).WithSummary("One recipient with its agreements.");
        admin.MapPut("/recipients/{id}", SaveRecipientAsync)
            .WithSummary("Creates (201) or replaces (200) a recipient: name, kind, policyClass (advertisers and agents), region, categories, purposes, contactEmail.");
        admin.MapPost("/recipients/{id}/agreements", AddAgreementAsync)
            .WithSummary("Adds an agreement: kind (data-processing-agreement or commitment-letter), reference, signedAt, expiresAt.");
        admin.MapPost("/recipients/{id}/disclosures", PullAsync)
            .WithSummary("Discloses identifying or consented data through the disclosure gate: the body is the data, the headers name the disclosure and its SHA-256; 403 when refused.");
        admin.MapGet("/recipients/{id}/deletion-notices", DeletionNoticesAsync)
            .WithSummary("The recipient's deletion notices: subjects whose accounts were cancelled after their data was disclosed to it.");
        admin.MapPost("/legal-requests", FileAsync).WithSummary("Files a legal request (S5.6); a second staff member decides it.");
        admin.MapGet("/legal-requests", ListLegalAsync).WithSummary("Legal requests, newest first.");
        admin.MapPost("/legal-requests/{id:guid}/approve", (Guid id, DecisionBody body, ClaimsPrincipal user, LegalRequests requests, CancellationToken ct) => DecideAsync(id, true, body, user, requests, ct))
            .WithSummary("Approves a pending legal request; refused to the staff member who filed it.");
        admin.MapPost("/legal-requests/{id:guid}/reject", (Guid id, DecisionBody body, ClaimsPrincipal user, LegalRequests requests, CancellationToken ct) => DecideAsync(id, false, body, user, requests, ct))
            .WithSummary("Rejects a pending legal request; refused to the staff member who filed it.");
        admin.MapPost("/public-disclosures", CreateNoticeAsync)
            .WithSummary("Writes a public-disclosure notice (S5.4): purpose in en and zh-CN, categories; the sensitive ones are listed from the policy.");
        admin.MapGet("/transparency", TransparencyAsync).WithSummary("Disclosures counted by basis and legal exceptions by legal basis, ?from=&to=.");

        app.MapGet("/transparency", TransparencyAsync).WithTags("Sharing")
            .WithSummary("The public transparency report: counts of disclosures by basis and of legal-exception disclosures by legal basis; nothing about persons.");

        var me = app.MapGroup("/api/v1/me").WithTags("Sharing").RequireAuthorization(SubjectsEndpoints.SubjectPolicy);
        me.MapGet("/authorizations", AuthorizationsAsync).WithSummary("The subject's authorizations of recipients for identifying data (S5.3).");
        me.MapPut("/authorizations/{recipientId}", AuthorizeAsync).WithSummary("Authorizes a recipient for exactly these identifying categories.");
        me.MapDelete("/authorizations/{recipientId}", RevokeAsync).WithSummary("Revokes the authorization of a recipient, at once.");
        me.MapGet("/public-disclosures", NoticesAsync).WithSummary("Every public-disclosure notice in en and zh-CN with its hash, and the subject's consent.");
        me.MapPut("/public-disclosures/{noticeId:guid}", ConsentAsync).WithSummary("Consents separately to a notice, naming the hash of the text shown.");
        me.MapDelete("/public-disclosures/{noticeId:guid}", WithdrawAsync).WithSummary("Withdraws consent to a notice.");
        return admin;
    }

    private static async Task<Ok<IReadOnlyList<RecipientView>>> ListRecipientsAsync(Recipients recipients, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        IReadOnlyList<RecipientView> views = [.. (await recipients.ListAsync(cancellationToken)).Select(r => View(r, now))];
        return TypedResults.Ok(views);
    }

    private static async Task<Results<Ok<RecipientView>, ProblemHttpResult>> RecipientAsync(string id, Recipients recipients, TimeProvider time, CancellationToken cancellationToken) =>
        await recipients.FindAsync(id, cancellationToken) is { } recipient ? TypedResults.Ok(View(recipient, time.GetUtcNow())) : UnknownRecipient();

    private static async Task<Results<Created<RecipientView>, Ok<RecipientView>, ProblemHttpResult>> SaveRecipientAsync(
        string id, RecipientBody body, ClaimsPrincipal user, Recipients recipients, TimeProvider time, CancellationToken cancellationToken)
    {
        if (body.Kind is null || !Kinds.TryGetValue(body.Kind, out var kind))
        {
            return Problems.Invalid("The recipient has invalid fields.", "kind", "One of: advertiser, advertising-agent, processor, authority.");
        }

        var draft = new RecipientDraft(body.Name ?? string.Empty, kind, body.PolicyClass, body.Region ?? string.Empty, body.Categories ?? [], body.Purposes ?? [], body.ContactEmail);
        var (outcome, created) = await recipients.SaveAsync(id, draft, StaffAuthentication.ActorOf(user), cancellationToken);
        if (!outcome.Succeeded)
        {
            return Problem(outcome);
        }

        var saved = (await recipients.FindAsync(id, cancellationToken))!;
        var view = View(saved, time.GetUtcNow());
        return created ? TypedResults.Created($"/api/v1/admin/recipients/{id}", view) : TypedResults.Ok(view);
    }

    private static async Task<Results<Created<AgreementView>, ProblemHttpResult>> AddAgreementAsync(
        string id, AgreementBody body, ClaimsPrincipal user, Recipients recipients, TimeProvider time, CancellationToken cancellationToken)
    {
        if (body.SignedAt is not { } signed || body.ExpiresAt is not { } expires)
        {
            return Problems.Invalid("The agreement has invalid fields.", body.SignedAt is null ? "signedAt" : "expiresAt", "A date and time with offset (RFC 3339).");
        }

        var outcome = await recipients.AddAgreementAsync(id, new AgreementDraft(body.Kind ?? string.Empty, body.Reference ?? string.Empty, signed, expires), StaffAuthentication.ActorOf(user), cancellationToken);
        if (!outcome.Succeeded)
        {
            return Problem(outcome);
        }

        var a = outcome.Value!;
        return TypedResults.Created($"/api/v1/admin/recipients/{id}", new AgreementView(a.Id, a.Kind, a.Reference, a.SignedAt, a.ExpiresAt, a.IsValidAt(time.GetUtcNow())));
    }

    /// <summary>
    /// The gate is asked first, so that a refused pull reads nothing; then the data is read (through the
    /// vault, audited), hashed, and disclosed; the gate checks again as it stores the disclosure, and only
    /// an allowed disclosure sends the bytes whose hash it recorded.
    /// </summary>
    private static async Task<IResult> PullAsync(
        string id, PullBody body, ClaimsPrincipal user, DisclosureGate gate, DisclosedData data, CancellationToken cancellationToken)
    {
        if (body.Basis is null || !PullBases.TryGetValue(body.Basis, out var basis))
        {
            return Problems.Invalid("The disclosure has invalid fields.", "basis", "One of: consent, explicit-authorization, public-disclosure, legal-exception.");
        }

        var request = new DisclosureRequest(
            id, basis, body.Purpose ?? string.Empty, body.Categories ?? [], body.SubjectIds ?? [], new byte[SHA256.HashSizeInBytes],
            LegalRequestId: body.LegalRequestId, PublicNoticeId: body.PublicNoticeId, Actor: StaffAuthentication.ActorOf(user), Description: "pull through the admin API");
        var check = await gate.CheckAsync(request, cancellationToken);
        if (!check.Allowed)
        {
            return Refused(await gate.DiscloseAsync(request, cancellationToken));
        }

        var bytes = await data.ReadAsync(request, cancellationToken);
        var sha = SHA256.HashData(bytes);
        var decision = await gate.DiscloseAsync(request with { Sha256 = sha }, cancellationToken);
        if (!decision.Allowed)
        {
            return Refused(decision);
        }

        return new DisclosedResult(new MemoryStream(bytes), "application/json", decision.DisclosureId!.Value, sha, []);
    }

    private static async Task<Results<Ok<IReadOnlyList<DeletionNoticeView>>, ProblemHttpResult>> DeletionNoticesAsync(
        string id, ClaimsPrincipal user, Recipients recipients, DeletionNotices notices, PrivacyDbContext db, AuditLog audit, CancellationToken cancellationToken)
    {
        if (await recipients.FindAsync(id, cancellationToken) is null)
        {
            return UnknownRecipient();
        }

        var list = await notices.ForRecipientAsync(id, cancellationToken);
        await audit.SaveChangesAsync(db, new AuditRecord(StaffAuthentication.ActorOf(user), "deletion-notices.read", Detail: $"recipient {id}; notices {list.Count}"), cancellationToken);
        IReadOnlyList<DeletionNoticeView> views = [.. list.Select(n => new DeletionNoticeView(n.Id, n.SubjectId, n.CancellationId, n.Disclosures, n.At))];
        return TypedResults.Ok(views);
    }

    private static async Task<Results<Created<LegalRequestView>, ProblemHttpResult>> FileAsync(
        LegalRequestBody body, ClaimsPrincipal user, LegalRequests requests, CancellationToken cancellationToken)
    {
        var outcome = await requests.FileAsync(
            new LegalRequestDraft(body.LegalBasis ?? string.Empty, body.Authority ?? string.Empty, body.DocumentReference ?? string.Empty, body.RecipientId ?? string.Empty,
                body.SubjectIds ?? [], body.Categories ?? [], body.Purpose ?? string.Empty),
            StaffAuthentication.ActorOf(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/v1/admin/legal-requests/{outcome.Value!.Id}", View(outcome.Value)) : Problem(outcome);
    }

    private static async Task<Results<Ok<IReadOnlyList<LegalRequestView>>, ProblemHttpResult>> ListLegalAsync(int? limit, LegalRequests requests, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 500)
        {
            return Problems.Invalid("limit must be 1 to 500.", "limit", "A number from 1 to 500.");
        }

        IReadOnlyList<LegalRequestView> views = [.. (await requests.ListAsync(limit ?? 100, cancellationToken)).Select(View)];
        return TypedResults.Ok(views);
    }

    private static async Task<Results<Ok<LegalRequestView>, ProblemHttpResult>> DecideAsync(
        Guid id, bool approve, DecisionBody body, ClaimsPrincipal user, LegalRequests requests, CancellationToken cancellationToken)
    {
        var outcome = await requests.DecideAsync(id, approve, body.Reason, StaffAuthentication.ActorOf(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(View(outcome.Value!)) : Problem(outcome);
    }

    private static async Task<Results<Created<PublicNoticeItem>, ProblemHttpResult>> CreateNoticeAsync(
        NoticeBody body, ClaimsPrincipal user, PublicDisclosures disclosures, CancellationToken cancellationToken)
    {
        var outcome = await disclosures.CreateNoticeAsync(
            new LocalizedText(body.Purpose?.En ?? string.Empty, body.Purpose?.ZhCn ?? string.Empty), body.Categories ?? [], StaffAuthentication.ActorOf(user), cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Created($"/api/v1/me/public-disclosures/{outcome.Value!.Id}", View(new PublicNoticeView(outcome.Value, disclosures.Sensitive(outcome.Value.Categories), null)))
            : Problem(outcome);
    }

    private static async Task<Results<Ok<TransparencyReport>, ProblemHttpResult>> TransparencyAsync(
        DateTimeOffset? from, DateTimeOffset? to, LegalRequests requests, TimeProvider time, CancellationToken cancellationToken)
    {
        var end = to ?? time.GetUtcNow();
        var start = from ?? end.AddYears(-1);
        if (start >= end)
        {
            return Problems.Invalid("from must be before to.", "from", "A time before 'to'.");
        }

        return TypedResults.Ok(await requests.TransparencyAsync(start, end, cancellationToken));
    }

    private static async Task<Results<Ok<IReadOnlyList<AuthorizationView>>, NotFound>> AuthorizationsAsync(
        ClaimsPrincipal user, IdentifyingAuthorizations authorizations, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        IReadOnlyList<AuthorizationView> views = [.. (await authorizations.ListAsync(subjectId, cancellationToken)).Select(View)];
        return TypedResults.Ok(views);
    }

    private static async Task<Results<Ok<AuthorizationView>, ProblemHttpResult, NotFound>> AuthorizeAsync(
        string recipientId, AuthorizationBody body, ClaimsPrincipal user, IdentifyingAuthorizations authorizations, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        var outcome = await authorizations.GrantAsync(subjectId, recipientId, body.Categories ?? [], cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(View(outcome.Value!)) : Problem(outcome);
    }

    private static async Task<Results<Ok<AuthorizationView>, ProblemHttpResult, NotFound>> RevokeAsync(
        string recipientId, ClaimsPrincipal user, IdentifyingAuthorizations authorizations, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        var outcome = await authorizations.RevokeAsync(subjectId, recipientId, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(View(outcome.Value!)) : Problem(outcome);
    }

    private static async Task<Results<Ok<IReadOnlyList<PublicNoticeItem>>, NotFound>> NoticesAsync(
        ClaimsPrincipal user, PublicDisclosures disclosures, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        IReadOnlyList<PublicNoticeItem> views = [.. (await disclosures.ListAsync(subjectId, cancellationToken)).Select(View)];
        return TypedResults.Ok(views);
    }

    private static async Task<Results<Ok<PublicConsentView>, ProblemHttpResult, NotFound>> ConsentAsync(
        Guid noticeId, PublicConsentBody body, ClaimsPrincipal user, PublicDisclosures disclosures, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        if (body.Language is not null && !PolicyLanguages.TryParse(body.Language, out _))
        {
            return Problems.Invalid("The consent has invalid fields.", "language", "en or zh-CN.");
        }

        if (string.IsNullOrEmpty(body.NoticeHash))
        {
            return Problems.Invalid("The consent has invalid fields.", "noticeHash", "The hash of the notice text shown.");
        }

        var outcome = await disclosures.RecordAsync(subjectId, noticeId, true, body.NoticeHash, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(View(outcome.Value!)!) : Problem(outcome);
    }

    private static async Task<Results<Ok<PublicConsentView>, ProblemHttpResult, NotFound>> WithdrawAsync(
        Guid noticeId, ClaimsPrincipal user, PublicDisclosures disclosures, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        var outcome = await disclosures.RecordAsync(subjectId, noticeId, false, null, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(View(outcome.Value!)!) : Problem(outcome);
    }

    internal static ProblemHttpResult Refused(DisclosureDecision decision) =>
        TypedResults.Problem(decision.Detail, statusCode: StatusCodes.Status403Forbidden, title: "Disclosure refused", type: DisclosureRefused,
            extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["refusal"] = decision.Refusal.ToString(), ["clause"] = decision.Clause });

    internal static ProblemHttpResult UnknownRecipient() =>
        TypedResults.Problem("There is no recipient with this id.", statusCode: StatusCodes.Status404NotFound, title: "Unknown recipient", type: "urn:konzen:problem:unknown-recipient");

    private static ProblemHttpResult Problem<T>(SharingOutcome<T> outcome)
        where T : class => outcome.Problem switch
        {
            SharingProblem.Invalid => TypedResults.Problem(outcome.Detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid input", type: Problems.InvalidInput,
                extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["errors"] = outcome.Errors }),
            SharingProblem.NotFound => TypedResults.Problem(outcome.Detail, statusCode: StatusCodes.Status404NotFound, title: "Not found", type: "urn:konzen:problem:not-found"),
            SharingProblem.SameStaffMember => TypedResults.Problem(outcome.Detail, statusCode: StatusCodes.Status403Forbidden, title: "Four eyes", type: FourEyes),
            _ when typeof(T) == typeof(PublicDisclosureConsent) => TypedResults.Problem(outcome.Detail, statusCode: StatusCodes.Status409Conflict, title: "Notice outdated", type: ResidencyEndpoints.NoticeOutdated),
            _ => TypedResults.Problem(outcome.Detail, statusCode: StatusCodes.Status409Conflict, title: "Already decided", type: AlreadyDecided),
        };

    private static RecipientView View(Recipient r, DateTimeOffset now) =>
        new(r.Id, r.Name, Kinds.First(k => k.Value == r.Kind).Key, r.PolicyClass, r.Region, r.Categories, r.Purposes, r.ContactEmail, r.HasValidAgreement(now),
            [.. r.Agreements.OrderBy(a => a.SignedAt).Select(a => new AgreementView(a.Id, a.Kind, a.Reference, a.SignedAt, a.ExpiresAt, a.IsValidAt(now)))]);

    private static LegalRequestView View(LegalRequest r) =>
        new(r.Id, r.LegalBasis, r.Authority, r.DocumentReference, r.RecipientId, r.SubjectIds, r.Categories, r.PurposeText, r.Status.ToString().ToLowerInvariant(),
            r.FiledBy, r.FiledAt, r.DecidedBy, r.DecidedAt, r.DecisionReason, r.DisclosureId);

    private static AuthorizationView View(AuthorizationStatus a) => new(a.RecipientId, a.RecipientName, a.Categories, a.Granted, a.At);

    private static PublicConsentView View(PublicDisclosureConsent c) => new(c.Granted, c.NoticeHash, c.Language, c.At);

    private static PublicNoticeItem View(PublicNoticeView v) =>
        new(v.Notice.Id,
            new Dictionary<string, string>(StringComparer.Ordinal) { ["en"] = v.Notice.PurposeEn, ["zh-CN"] = v.Notice.PurposeZhCn },
            v.Notice.Categories,
            v.SensitiveCategories,
            new Dictionary<string, NoticeTextView>(StringComparer.Ordinal)
            {
                ["en"] = new(v.Notice.TextEn, v.Notice.HashEn),
                ["zh-CN"] = new(v.Notice.TextZhCn, v.Notice.HashZhCn),
            },
            v.Notice.CreatedAt,
            v.Consent is null ? null : View(v.Consent));
}
