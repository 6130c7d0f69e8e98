using System.Security.Cryptography;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Staff;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Rights;

/// <summary>Why a request command changed nothing.</summary>
public enum RequestRefusal
{
    None,
    InvalidKind,
    UnknownChannel,
    InvalidText,
    NotFound,
    WrongStatus,
    AlreadyExtended,
    UnknownStaff,
}

/// <summary>The outcome of a command; <see cref="Token"/> is an anonymous reporter's follow-up token, shown once.</summary>
public sealed record RequestOutcome(RequestRefusal Refusal, Guid? Id = null, string? Token = null);

/// <summary>One entry of a request's status history.</summary>
public sealed record RequestEventView(DateTimeOffset At, string Actor, RequestStatus? From, RequestStatus To, string? Note);

/// <summary>
/// A request as a reader may see it. The texts are null in the staff list (read one request to see
/// them) and when they can no longer be opened (the subject's key was destroyed).
/// </summary>
public sealed record RequestView(
    Guid Id,
    Guid? SubjectId,
    RequestKind Kind,
    RequestStatus Status,
    string Channel,
    DateTimeOffset CreatedAt,
    DateTimeOffset DueAt,
    bool DueEstimated,
    DateTimeOffset? OriginalDueAt,
    string? Assignee,
    string? Text,
    string? Answer,
    string? ExtensionReason,
    DateTimeOffset? AnsweredAt,
    IReadOnlyList<RequestEventView> History);

/// <summary>
/// Requests and complaints with legal deadlines (S6.2, S6.3, S0.4): filed by a subject or anonymously
/// through one of the policy's contact channels, handled by staff (assign, answer, extend once with a
/// reason, close), each change in the status history and the audit log in one transaction.
/// </summary>
public sealed class PrivacyRequests(
    PrivacyDbContext db,
    SubjectKeys keys,
    RequestsKey requestsKey,
    WorkingDayCalendar calendar,
    CompiledPolicy policy,
    AuditLog audit,
    TimeProvider time)
{
    public const int MaxTextLength = 4000;
    public const int MaxReasonLength = 1000;

    /// <summary>The actor of an anonymous reporter.</summary>
    public const string AnonymousActor = "anonymous";

    private const int TokenBytes = 32;

    /// <summary>The kinds someone without an account may file.</summary>
    public static bool AnonymousAllowed(RequestKind kind) => kind is RequestKind.Complaint or RequestKind.Report;

    /// <summary>The statuses in which a request still waits for its answer.</summary>
    public static bool IsOpen(RequestStatus status) => status is RequestStatus.Received or RequestStatus.InProgress or RequestStatus.Escalated;

    /// <summary>Files a subject's request; its deadline is the policy's response period in working days.</summary>
    public Task<RequestOutcome> FileAsync(Guid subjectId, RequestKind kind, string channel, string text, CancellationToken cancellationToken = default) =>
        CreateAsync(subjectId, kind, channel, text, cancellationToken);

    /// <summary>Files an anonymous complaint or report; the outcome carries the token that reads its answer.</summary>
    public Task<RequestOutcome> ReportAsync(RequestKind kind, string channel, string text, CancellationToken cancellationToken = default) =>
        AnonymousAllowed(kind)
            ? CreateAsync(null, kind, channel, text, cancellationToken)
            : Task.FromResult(new RequestOutcome(RequestRefusal.InvalidKind));

    /// <summary>The subject's own requests, newest first, with texts and history.</summary>
    public async Task<IReadOnlyList<RequestView>> MineAsync(Guid subjectId, CancellationToken cancellationToken = default)
    {
        var requests = await db.Set<PrivacyRequest>().AsNoTracking().Include(r => r.Events)
            .Where(r => r.SubjectId == subjectId)
            .OrderByDescending(r => r.CreatedAt).ThenBy(r => r.Id)
            .ToListAsync(cancellationToken);
        var views = new List<RequestView>(requests.Count);
        foreach (var request in requests)
        {
            views.Add(await ViewAsync(request, withTexts: true, cancellationToken));
        }

        return views;
    }

    /// <summary>One of the subject's own requests; null, alike, for an unknown id and another subject's request.</summary>
    public async Task<RequestView?> MineAsync(Guid subjectId, Guid id, CancellationToken cancellationToken = default)
    {
        var request = await db.Set<PrivacyRequest>().AsNoTracking().Include(r => r.Events)
            .SingleOrDefaultAsync(r => r.Id == id && r.SubjectId == subjectId, cancellationToken);
        return request is null ? null : await ViewAsync(request, withTexts: true, cancellationToken);
    }

    /// <summary>An anonymous report for the holder of its token; null, alike, for an unknown id and a wrong token.</summary>
    public async Task<RequestView?> ReportByTokenAsync(Guid id, string token, CancellationToken cancellationToken = default)
    {
        var request = await db.Set<PrivacyRequest>().AsNoTracking().Include(r => r.Events)
            .SingleOrDefaultAsync(r => r.Id == id && r.SubjectId == null, cancellationToken);
        if (request?.TokenHash is null || !CryptographicOperations.FixedTimeEquals(request.TokenHash, HashToken(token)))
        {
            return null;
        }

        return await ViewAsync(request, withTexts: true, cancellationToken);
    }

    /// <summary>The staff's list, without texts: by deadline (soonest first) or newest first, optionally of one status.</summary>
    public async Task<IReadOnlyList<RequestView>> ListAsync(RequestStatus? status, bool byDue, int limit, CancellationToken cancellationToken = default)
    {
        var query = db.Set<PrivacyRequest>().AsNoTracking();
        if (status is { } only)
        {
            query = query.Where(r => r.Status == only);
        }

        query = byDue ? query.OrderBy(r => r.DueAt).ThenBy(r => r.Id) : query.OrderByDescending(r => r.CreatedAt).ThenBy(r => r.Id);
        var requests = await query.Take(limit).ToListAsync(cancellationToken);
        return [.. requests.Select(r => View(r, null, null, null))];
    }

    /// <summary>One request with its texts and history, for staff; the read is audited.</summary>
    public async Task<RequestView?> ReadAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        var request = await db.Set<PrivacyRequest>().AsNoTracking().Include(r => r.Events).SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (request is null)
        {
            return null;
        }

        var view = await ViewAsync(request, withTexts: true, cancellationToken);
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "request.read", request.SubjectId, Detail: $"request {id}"), cancellationToken);
        return view;
    }

    /// <summary>Assigns an open request to an enabled staff member; a received request becomes in progress.</summary>
    public async Task<RequestOutcome> AssignAsync(Guid id, string assignee, string actor, CancellationToken cancellationToken = default)
    {
        if (!await db.Set<StaffMember>().AnyAsync(s => s.Name == assignee && s.DisabledAt == null, cancellationToken))
        {
            return new RequestOutcome(RequestRefusal.UnknownStaff);
        }

        return await ChangeAsync(id, actor, "request.assigned", Sync(request =>
        {
            if (!IsOpen(request.Status))
            {
                return RequestRefusal.WrongStatus;
            }

            request.Assignee = assignee;
            // The note stays generic: the subject reads the history, and the staff member's name is in the assignee field staff see.
            Record(request, actor, request.Status == RequestStatus.Received ? RequestStatus.InProgress : request.Status, "assigned");
            return RequestRefusal.None;
        }), cancellationToken);
    }

    /// <summary>Records the answer the subject (or anonymous reporter) will read.</summary>
    public async Task<RequestOutcome> AnswerAsync(Guid id, string answer, string actor, CancellationToken cancellationToken = default)
    {
        if (!ValidText(answer, MaxTextLength))
        {
            return new RequestOutcome(RequestRefusal.InvalidText);
        }

        return await ChangeAsync(id, actor, "request.answered", async (request, ct) =>
        {
            if (!IsOpen(request.Status))
            {
                return RequestRefusal.WrongStatus;
            }

            request.Answer = await SealAsync(request, "answer", answer, ct);
            request.AnsweredAt = time.GetUtcNow();
            Record(request, actor, RequestStatus.Answered, null);
            return RequestRefusal.None;
        }, cancellationToken);
    }

    /// <summary>
    /// Extends an open request's deadline once, by the policy's response period again, counted from
    /// the end of the current deadline, with a reason the subject sees. A second extension is refused.
    /// </summary>
    public async Task<RequestOutcome> ExtendAsync(Guid id, string reason, string actor, CancellationToken cancellationToken = default)
    {
        if (!ValidText(reason, MaxReasonLength))
        {
            return new RequestOutcome(RequestRefusal.InvalidText);
        }

        return await ChangeAsync(id, actor, "request.extended", async (request, ct) =>
        {
            if (!IsOpen(request.Status))
            {
                return RequestRefusal.WrongStatus;
            }

            if (request.OriginalDueAt is not null)
            {
                return RequestRefusal.AlreadyExtended;
            }

            var extended = calendar.After(WorkingDayCalendar.LastDayOf(request.DueAt), policy.Document.Rights.ResponseWorkingDays);
            request.OriginalDueAt = request.DueAt;
            request.DueAt = extended.Due;
            request.DueEstimated |= extended.Estimated;
            request.ExtensionReason = await SealAsync(request, "extension-reason", reason, ct);
            // An escalated request is no longer near its deadline; it may be escalated again near the new one.
            var to = request.Status == RequestStatus.Escalated ? RequestStatus.InProgress : request.Status;
            Record(request, actor, to, $"deadline extended by {policy.Document.Rights.ResponseWorkingDays} working days");
            return RequestRefusal.None;
        }, cancellationToken);
    }

    /// <summary>Closes an answered request: every request is closed only with a recorded answer (S6.3).</summary>
    public Task<RequestOutcome> CloseAsync(Guid id, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, "request.closed", Sync(request =>
        {
            if (request.Status != RequestStatus.Answered)
            {
                return RequestRefusal.WrongStatus;
            }

            Record(request, actor, RequestStatus.Closed, null);
            return RequestRefusal.None;
        }), cancellationToken);

    internal void Record(PrivacyRequest request, string actor, RequestStatus to, string? note)
    {
        db.Add(new PrivacyRequestEvent { RequestId = request.Id, At = time.GetUtcNow(), Actor = actor, From = request.Status, To = to, Note = note });
        request.Status = to;
    }

    internal static byte[] HashToken(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));

    private async Task<RequestOutcome> CreateAsync(Guid? subjectId, RequestKind kind, string channel, string text, CancellationToken cancellationToken)
    {
        if (!Enum.IsDefined(kind))
        {
            return new RequestOutcome(RequestRefusal.InvalidKind);
        }

        if (!policy.Document.Controller.Contact.Any(c => c.Id == channel))
        {
            return new RequestOutcome(RequestRefusal.UnknownChannel);
        }

        if (!ValidText(text, MaxTextLength))
        {
            return new RequestOutcome(RequestRefusal.InvalidText);
        }

        var now = time.GetUtcNow();
        var deadline = calendar.Deadline(now, policy.Document.Rights.ResponseWorkingDays);
        var request = new PrivacyRequest
        {
            Id = Guid.CreateVersion7(now),
            SubjectId = subjectId,
            Kind = kind,
            Status = RequestStatus.Received,
            Channel = channel,
            CreatedAt = now,
            DueAt = deadline.Due,
            DueEstimated = deadline.Estimated,
        };
        string? token = null;
        if (subjectId is null)
        {
            token = Base64Url(RandomNumberGenerator.GetBytes(TokenBytes));
            request.TokenHash = HashToken(token);
        }

        request.Text = await SealAsync(request, "text", text, cancellationToken);
        db.Add(request);
        db.Add(new PrivacyRequestEvent { RequestId = request.Id, At = now, Actor = ActorOf(subjectId), To = RequestStatus.Received });
        await audit.SaveChangesAsync(db, new AuditRecord(ActorOf(subjectId), "request.filed", subjectId, Detail: $"request {request.Id} {kind} via {channel}"), cancellationToken);
        return new RequestOutcome(RequestRefusal.None, request.Id, token);
    }

    private async Task<RequestOutcome> ChangeAsync(
        Guid id, string actor, string action, Func<PrivacyRequest, CancellationToken, ValueTask<RequestRefusal>> change, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var request = await db.Set<PrivacyRequest>().SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (request is null)
        {
            return new RequestOutcome(RequestRefusal.NotFound);
        }

        var refusal = await change(request, cancellationToken);
        if (refusal != RequestRefusal.None)
        {
            db.ChangeTracker.Clear();
            return new RequestOutcome(refusal, id);
        }

        await audit.AppendAsync(db, new AuditRecord(actor, action, request.SubjectId, Detail: $"request {id}"), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new RequestOutcome(RequestRefusal.None, id);
    }

    private static Func<PrivacyRequest, CancellationToken, ValueTask<RequestRefusal>> Sync(Func<PrivacyRequest, RequestRefusal> change) =>
        (request, _) => ValueTask.FromResult(change(request));

    private async Task<byte[]> SealAsync(PrivacyRequest request, string field, string value, CancellationToken cancellationToken) =>
        request.SubjectId is { } subjectId
            ? FieldCipher.Encrypt(await keys.GetOrCreateAsync(subjectId, cancellationToken), subjectId, Field(request.Id, field), value)
            : FieldCipher.Encrypt(requestsKey.Value, request.Id, Field(request.Id, field), value);

    private async Task<string?> OpenAsync(PrivacyRequest request, string field, byte[]? sealedValue, CancellationToken cancellationToken)
    {
        if (sealedValue is null)
        {
            return null;
        }

        try
        {
            return request.SubjectId is { } subjectId
                ? FieldCipher.Decrypt(await keys.GetOrCreateAsync(subjectId, cancellationToken), subjectId, Field(request.Id, field), sealedValue)
                : FieldCipher.Decrypt(requestsKey.Value, request.Id, Field(request.Id, field), sealedValue);
        }
        catch (VaultIntegrityException)
        {
            // The subject's key was destroyed (the account was cancelled): the text is gone for good.
            return null;
        }
    }

    private async Task<RequestView> ViewAsync(PrivacyRequest request, bool withTexts, CancellationToken cancellationToken) =>
        withTexts
            ? View(request,
                await OpenAsync(request, "text", request.Text, cancellationToken),
                await OpenAsync(request, "answer", request.Answer, cancellationToken),
                await OpenAsync(request, "extension-reason", request.ExtensionReason, cancellationToken))
            : View(request, null, null, null);

    private static RequestView View(PrivacyRequest r, string? text, string? answer, string? reason) => new(
        r.Id, r.SubjectId, r.Kind, r.Status, r.Channel, r.CreatedAt, r.DueAt, r.DueEstimated, r.OriginalDueAt, r.Assignee, text, answer, reason, r.AnsweredAt,
        [.. r.Events.OrderBy(e => e.At).ThenBy(e => e.Id).Select(e => new RequestEventView(e.At, e.Actor, e.From, e.To, e.Note))]);

    private static string Field(Guid requestId, string field) => $"request/{requestId:N}/{field}";

    private static string ActorOf(Guid? subjectId) => subjectId is { } id ? $"subject:{id}" : AnonymousActor;

    private static bool ValidText(string? text, int max) => !string.IsNullOrWhiteSpace(text) && text.Length <= max && !text.Contains('\0', StringComparison.Ordinal);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
