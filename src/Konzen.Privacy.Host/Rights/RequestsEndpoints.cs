using System.Security.Claims;
using Konzen.Privacy.Host.Staff;
using Konzen.Privacy.Host.Subjects;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Rights;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Rights;

/// <summary>A new request: kind, the contact channel id it comes through (from the policy), and the text.</summary>
internal sealed record RequestBody(string? Kind, string? Channel, string? Text);

internal sealed record RequestFiled(Guid Id, DateTimeOffset DueAt, bool DueEstimated);

/// <summary>An anonymous report's receipt: keep <see cref="Token"/>, it is the only way to read the answer.</summary>
internal sealed record ReportFiled(Guid Id, string Token, DateTimeOffset DueAt, bool DueEstimated);

internal sealed record AssignBody(string? Assignee);

internal sealed record AnswerBody(string? Answer);

internal sealed record ExtendBody(string? Reason);

internal sealed record HistoryView(DateTimeOffset At, RequestStatus? From, RequestStatus To, string? Note);

/// <summary>
/// A request as its subject or reporter sees it. <see cref="DueEstimated"/> is true when the deadline
/// spans a year without a calendar file, for which Monday to Friday was assumed.
/// </summary>
internal sealed record MyRequestView(
    Guid Id, RequestKind Kind, RequestStatus Status, string Channel, DateTimeOffset CreatedAt, DateTimeOffset DueAt, bool DueEstimated,
    DateTimeOffset? OriginalDueAt, string? Text, string? Answer, DateTimeOffset? AnsweredAt, string? ExtensionReason, IReadOnlyList<HistoryView> History);

/// <summary>A request as staff see it; texts only when reading one request.</summary>
internal sealed record StaffRequestView(
    Guid Id, Guid? SubjectId, bool Anonymous, RequestKind Kind, RequestStatus Status, string Channel, DateTimeOffset CreatedAt, DateTimeOffset DueAt,
    bool DueEstimated, DateTimeOffset? OriginalDueAt, string? Assignee, string? Text, string? Answer, string? ExtensionReason, IReadOnlyList<RequestEventView> History);

/// <summary>
/// Requests and complaints (S6.2, S6.3, S0.4): a subject's own (<c>/api/v1/me/requests</c>), anonymous
/// reports (<c>/api/v1/reports</c>) and the staff's handling (<c>/api/v1/admin/requests</c>).
/// </summary>
internal static class RequestsEndpoints
{
    public const string UnknownChannel = "urn:konzen:problem:unknown-channel";
    public const string WrongStatus = "urn:konzen:problem:request-status";
    public const string AlreadyExtended = "urn:konzen:problem:already-extended";

    private const int DefaultLimit = 100;
    private const int MaxLimit = 500;

    private static readonly Dictionary<string, RequestKind> Kinds = Enum.GetValues<RequestKind>().ToDictionary(k => k.ToString().ToLowerInvariant(), StringComparer.Ordinal);

    private static readonly Dictionary<string, RequestStatus> Statuses = new(StringComparer.Ordinal)
    {
        ["received"] = RequestStatus.Received,
        ["in-progress"] = RequestStatus.InProgress,
        ["answered"] = RequestStatus.Answered,
        ["closed"] = RequestStatus.Closed,
        ["escalated"] = RequestStatus.Escalated,
    };

    public static RouteGroupBuilder MapRequestsEndpoints(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/v1/me/requests").WithTags("Requests").RequireAuthorization(SubjectsEndpoints.SubjectPolicy);
        me.MapPost("/", FileAsync)
            .WithSummary("Files a request or complaint (kind, channel from the policy's contact channels, text); its deadline is the policy's response period in working days.");
        me.MapGet("/", MineAsync)
            .WithSummary("The signed-in subject's requests, newest first, with status history, deadline, answer and extension reason.");
        me.MapGet("/{id:guid}", MineOneAsync).WithSummary("One of the signed-in subject's requests; another subject's is a 404.");

        var reports = app.MapGroup("/api/v1/reports").WithTags("Requests").AllowAnonymous();
        reports.MapPost("/", ReportAsync)
            .WithSummary("Files an anonymous complaint or report; answers with the follow-up token that reads the answer.");
        reports.MapGet("/{id:guid}", ReadReportAsync)
            .WithSummary("An anonymous report for the holder of its token (?token=); 404 for an unknown id and a wrong token alike.");

        var admin = app.MapGroup("/api/v1/admin/requests").WithTags("Requests").RequireAuthorization(StaffAuthentication.Policy);
        admin.MapGet("/", ListAsync)
            .WithSummary("Requests by deadline (order=due, the default) or newest first (order=created), optionally of one status; ?limit=1..500.");
        admin.MapGet("/{id:guid}", ReadAsync).WithSummary("One request with its texts and history; the read is audited.");
        admin.MapPost("/{id:guid}/assign", AssignAsync).WithSummary("Assigns the request to a staff member (default: the caller).");
        admin.MapPost("/{id:guid}/answer", AnswerAsync).WithSummary("Records the answer the subject or reporter reads.");
        admin.MapPost("/{id:guid}/extend", ExtendAsync)
            .WithSummary("Extends the deadline once, by the response period again, with a reason the subject sees; a second extension is refused.");
        admin.MapPost("/{id:guid}/close", CloseAsync).WithSummary("Closes an answered request.");
        return me;
    }

    private static async Task<Results<Created<RequestFiled>, ProblemHttpResult, NotFound>> FileAsync(
        RequestBody body, ClaimsPrincipal user, PrivacyRequests requests, CompiledPolicy policy, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        if (body.Kind is null || !Kinds.TryGetValue(body.Kind, out var kind))
        {
            return Problems.Invalid("Unknown kind of request.", "kind", string.Join('|', Kinds.Keys));
        }

        var outcome = await requests.FileAsync(subjectId, kind, body.Channel ?? string.Empty, body.Text ?? string.Empty, cancellationToken);
        if (Refused(outcome, policy) is { } problem)
        {
            return problem;
        }

        var filed = (await requests.MineAsync(subjectId, outcome.Id!.Value, cancellationToken))!;
        return TypedResults.Created($"/api/v1/me/requests/{outcome.Id}", new RequestFiled(filed.Id, filed.DueAt, filed.DueEstimated));
    }

    private static async Task<Results<Ok<IReadOnlyList<MyRequestView>>, NotFound>> MineAsync(
        ClaimsPrincipal user, PrivacyRequests requests, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        var mine = await requests.MineAsync(subjectId, cancellationToken);
        return TypedResults.Ok<IReadOnlyList<MyRequestView>>([.. mine.Select(Mine)]);
    }

    private static async Task<Results<Ok<MyRequestView>, NotFound>> MineOneAsync(
        Guid id, ClaimsPrincipal user, PrivacyRequests requests, CancellationToken cancellationToken) =>
        SubjectsEndpoints.SubjectIdOf(user) is { } subjectId && await requests.MineAsync(subjectId, id, cancellationToken) is { } request
            ? TypedResults.Ok(Mine(request))
            : TypedResults.NotFound();

    private static async Task<Results<Created<ReportFiled>, ProblemHttpResult>> ReportAsync(
        RequestBody body, PrivacyRequests requests, CompiledPolicy policy, CancellationToken cancellationToken)
    {
        if (body.Kind is null || !Kinds.TryGetValue(body.Kind, out var kind) || !PrivacyRequests.AnonymousAllowed(kind))
        {
            return Problems.Invalid("An anonymous report is a complaint or a report.", "kind", "complaint|report");
        }

        var outcome = await requests.ReportAsync(kind, body.Channel ?? string.Empty, body.Text ?? string.Empty, cancellationToken);
        if (Refused(outcome, policy) is { } problem)
        {
            return problem;
        }

        var filed = await requests.ReportByTokenAsync(outcome.Id!.Value, outcome.Token!, cancellationToken);
        return TypedResults.Created($"/api/v1/reports/{outcome.Id}", new ReportFiled(outcome.Id.Value, outcome.Token!, filed!.DueAt, filed.DueEstimated));
    }

    private static async Task<Results<Ok<MyRequestView>, NotFound>> ReadReportAsync(
        Guid id, string? token, PrivacyRequests requests, CancellationToken cancellationToken) =>
        string.IsNullOrEmpty(token) || await requests.ReportByTokenAsync(id, token, cancellationToken) is not { } report
            ? TypedResults.NotFound()
            : TypedResults.Ok(Mine(report));

    private static async Task<Results<Ok<IReadOnlyList<StaffRequestView>>, ProblemHttpResult>> ListAsync(
        string? status, string? order, int? limit, PrivacyRequests requests, CancellationToken cancellationToken)
    {
        RequestStatus? only = null;
        if (status is not null)
        {
            if (!Statuses.TryGetValue(status, out var parsed))
            {
                return Problems.Invalid("Unknown status.", "status", string.Join('|', Statuses.Keys));
            }

            only = parsed;
        }

        if (order is not (null or "due" or "created"))
        {
            return Problems.Invalid("Unknown order.", "order", "due|created");
        }

        if (limit is < 1 or > MaxLimit)
        {
            return Problems.Invalid($"limit must be 1 to {MaxLimit}.", "limit", $"A number from 1 to {MaxLimit}.");
        }

        var list = await requests.ListAsync(only, order != "created", limit ?? DefaultLimit, cancellationToken);
        return TypedResults.Ok<IReadOnlyList<StaffRequestView>>([.. list.Select(Staff)]);
    }

    private static async Task<Results<Ok<StaffRequestView>, NotFound>> ReadAsync(
        Guid id, ClaimsPrincipal user, PrivacyRequests requests, CancellationToken cancellationToken) =>
        await requests.ReadAsync(id, StaffAuthentication.ActorOf(user), cancellationToken) is { } request
            ? TypedResults.Ok(Staff(request))
            : TypedResults.NotFound();

    private static async Task<Results<Ok<StaffRequestView>, ProblemHttpResult, NotFound>> AssignAsync(
        Guid id, AssignBody? body, ClaimsPrincipal user, PrivacyRequests requests, CompiledPolicy policy, CancellationToken cancellationToken)
    {
        var actor = StaffAuthentication.ActorOf(user);
        var assignee = body?.Assignee ?? actor["staff:".Length..];
        return await AfterAsync(await requests.AssignAsync(id, assignee, actor, cancellationToken), requests, actor, policy, cancellationToken);
    }

    private static async Task<Results<Ok<StaffRequestView>, ProblemHttpResult, NotFound>> AnswerAsync(
        Guid id, AnswerBody body, ClaimsPrincipal user, PrivacyRequests requests, CompiledPolicy policy, CancellationToken cancellationToken)
    {
        var actor = StaffAuthentication.ActorOf(user);
        return await AfterAsync(await requests.AnswerAsync(id, body.Answer ?? string.Empty, actor, cancellationToken), requests, actor, policy, cancellationToken);
    }

    private static async Task<Results<Ok<StaffRequestView>, ProblemHttpResult, NotFound>> ExtendAsync(
        Guid id, ExtendBody body, ClaimsPrincipal user, PrivacyRequests requests, CompiledPolicy policy, CancellationToken cancellationToken)
    {
        var actor = StaffAuthentication.ActorOf(user);
        return await AfterAsync(await requests.ExtendAsync(id, body.Reason ?? string.Empty, actor, cancellationToken), requests, actor, policy, cancellationToken);
    }

    private static async Task<Results<Ok<StaffRequestView>, ProblemHttpResult, NotFound>> CloseAsync(
        Guid id, ClaimsPrincipal user, PrivacyRequests requests, CompiledPolicy policy, CancellationToken cancellationToken)
    {
        var actor = StaffAuthentication.ActorOf(user);
        return await AfterAsync(await requests.CloseAsync(id, actor, cancellationToken), requests, actor, policy, cancellationToken);
    }

    private static async Task<Results<Ok<StaffRequestView>, ProblemHttpResult, NotFound>> AfterAsync(
        RequestOutcome outcome, PrivacyRequests requests, string actor, CompiledPolicy policy, CancellationToken cancellationToken)
    {
        if (outcome.Refusal == RequestRefusal.NotFound)
        {
            return TypedResults.NotFound();
        }

        if (Refused(outcome, policy) is { } problem)
        {
            return problem;
        }

        return await requests.ReadAsync(outcome.Id!.Value, actor, cancellationToken) is { } request ? TypedResults.Ok(Staff(request)) : TypedResults.NotFound();
    }

    private static ProblemHttpResult? Refused(RequestOutcome outcome, CompiledPolicy policy) => outcome.Refusal switch
    {
        RequestRefusal.None => null,
        RequestRefusal.InvalidKind => Problems.Invalid("Unknown kind of request.", "kind", string.Join('|', Kinds.Keys)),
        RequestRefusal.UnknownChannel => TypedResults.Problem(
            "The channel is not one of the policy's contact channels.", statusCode: StatusCodes.Status400BadRequest, title: "Unknown channel", type: UnknownChannel,
            extensions: new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["errors"] = new Dictionary<string, string[]>(StringComparer.Ordinal) { ["channel"] = [.. policy.Document.Controller.Contact.Select(c => c.Id)] },
            }),
        RequestRefusal.InvalidText => Problems.Invalid("The text is empty or too long.", "text",
            $"1 to {PrivacyRequests.MaxTextLength} characters (a reason: 1 to {PrivacyRequests.MaxReasonLength})."),
        RequestRefusal.UnknownStaff => Problems.Invalid("No enabled staff member has that name.", "assignee", "The name of an enabled staff member."),
        RequestRefusal.AlreadyExtended => TypedResults.Problem(
            "The deadline was extended once already; the law allows one extension.", statusCode: StatusCodes.Status409Conflict, title: "Already extended", type: AlreadyExtended),
        _ => TypedResults.Problem(
            "The request's status does not allow this: only open requests can be assigned, answered or extended, and only answered ones closed.",
            statusCode: StatusCodes.Status409Conflict, title: "Wrong status", type: WrongStatus),
    };

    private static MyRequestView Mine(RequestView r) => new(
        r.Id, r.Kind, r.Status, r.Channel, r.CreatedAt, r.DueAt, r.DueEstimated, r.OriginalDueAt, r.Text, r.Answer, r.AnsweredAt, r.ExtensionReason,
        [.. r.History.Select(h => new HistoryView(h.At, h.From, h.To, h.Note))]);

    private static StaffRequestView Staff(RequestView r) => new(
        r.Id, r.SubjectId, r.SubjectId is null, r.Kind, r.Status, r.Channel, r.CreatedAt, r.DueAt, r.DueEstimated, r.OriginalDueAt, r.Assignee, r.Text, r.Answer,
        r.ExtensionReason, r.History);
}
