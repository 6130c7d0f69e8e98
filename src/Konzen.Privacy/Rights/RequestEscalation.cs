using System.Globalization;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Rights;

/// <summary>What one escalation run did: the requests it escalated, and whether another node held the run.</summary>
public sealed record EscalationResult(IReadOnlyList<Guid> Escalated, bool Skipped = false);

/// <summary>
/// Escalates open requests near their deadline to the privacy officer (S6.2): every received or
/// in-progress request whose deadline falls within <see cref="RequestOptions.EscalationWorkingDays"/>
/// working days (or has passed) becomes escalated, with its history entry and audit entry in one
/// transaction, and then the officer gets one mail per request naming only its id, kind and deadline.
/// </summary>
/// <remarks>
/// On PostgreSQL the run takes a transaction-scoped advisory lock without waiting (key
/// 0x6B6F6E7A656E0003, "konzen" and 3; the audit chain has 1, retention 2); a node that does not get
/// it skips. A mail that fails is logged (its error's type only) and not retried: the request stays
/// escalated and at the top of the staff's list by deadline.
/// </remarks>
public sealed partial class RequestEscalation(
    PrivacyDbContext db,
    PrivacyRequests requests,
    WorkingDayCalendar calendar,
    CompiledPolicy policy,
    EmailSender email,
    IOptions<RequestOptions> options,
    AuditLog audit,
    TimeProvider time,
    ILogger<RequestEscalation> logger)
{
    /// <summary>The actor of the background escalation.</summary>
    public const string SystemActor = "system";

    internal const long LockKey = 0x6B6F6E7A656E0003;

    public async Task<EscalationResult> RunAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var threshold = calendar.Deadline(now, options.Value.EscalationWorkingDays).Due;
        List<PrivacyRequest> due;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            if (db.Database.IsNpgsql() && !await TryLockAsync(cancellationToken))
            {
                return new EscalationResult([], Skipped: true);
            }

            due = await db.Set<PrivacyRequest>()
                .Where(r => (r.Status == RequestStatus.Received || r.Status == RequestStatus.InProgress) && r.DueAt <= threshold)
                .OrderBy(r => r.DueAt).ThenBy(r => r.Id)
                .ToListAsync(cancellationToken);
            if (due.Count == 0)
            {
                return new EscalationResult([]);
            }

            foreach (var request in due)
            {
                requests.Record(request, SystemActor, RequestStatus.Escalated, $"deadline within {options.Value.EscalationWorkingDays} working days");
            }

            await audit.AppendAsync(db, new AuditRecord(SystemActor, "request.escalated", Detail: string.Join(' ', due.Select(r => r.Id))), cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        var officer = options.Value.OfficerEmail ?? policy.Document.Controller.Contact.FirstOrDefault(c => c.Kind == "email")?.Address;
        foreach (var request in due)
        {
            if (officer is null)
            {
                LogNoOfficer(logger);
                break;
            }

            try
            {
                // Only the id, kind and deadline: the officer opens the request in the admin API to read it.
                await email.SendAsync(new EmailMessage(officer, $"Privacy request {request.Id} escalated", string.Create(CultureInfo.InvariantCulture,
                    $"Privacy request {request.Id} ({request.Kind.ToString().ToLowerInvariant()}) is due {request.DueAt.ToOffset(WorkingDayCalendar.ChinaOffset):yyyy-MM-dd HH:mm} China time{(request.DueEstimated ? " (estimated: no calendar for a year it spans)" : string.Empty)} and is not answered yet.\n")),
                    cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogMailFailed(logger, request.Id, e.GetType().Name);
            }
        }

        return new EscalationResult([.. due.Select(r => r.Id)]);
    }

    private async Task<bool> TryLockAsync(CancellationToken cancellationToken)
    {
        var granted = await db.Database
            .SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({LockKey}) AS \"Value\"")
            .ToListAsync(cancellationToken);
        return granted[0];
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The escalation mail for request {RequestId} failed ({ErrorType})")]
    private static partial void LogMailFailed(ILogger logger, Guid requestId, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Requests were escalated, but no officer address is set (Requests:OfficerEmail) and the policy has no email contact")]
    private static partial void LogNoOfficer(ILogger logger);
}
