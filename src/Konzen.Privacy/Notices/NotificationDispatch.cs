using Konzen.Privacy.Consent;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Notices;

/// <summary>Whether a dispatcher run went ahead.</summary>
public enum NotificationDispatchOutcome
{
    Completed,

    /// <summary>Another node holds the dispatcher lock (PostgreSQL); nothing was sent here.</summary>
    Skipped,

    /// <summary>The run threw before it finished.</summary>
    Failed,
}

/// <summary>What one dispatcher run did: messages sent, failed attempts that will be retried, and messages given up.</summary>
public sealed record NotificationDispatchResult(NotificationDispatchOutcome Outcome, int Sent, int Retrying, int Failed)
{
    public static NotificationDispatchResult Skipped { get; } = new(NotificationDispatchOutcome.Skipped, 0, 0, 0);

    public static NotificationDispatchResult Crashed { get; } = new(NotificationDispatchOutcome.Failed, 0, 0, 0);
}

/// <summary>
/// One dispatcher run: sends the email and SMS notifications that are due, oldest first, at most
/// <see cref="NotificationOptions.BatchSize"/>. The address is read through the vault for customer
/// service (<see cref="Purpose"/>), which audits the read. A failed attempt is retried after
/// <see cref="NotificationOptions.BaseBackoff"/>, doubled at each further failure, until
/// <see cref="NotificationOptions.MaxAttempts"/>; then the message is marked failed. Each message's
/// outcome is saved as soon as it is known, so a crash resends at most the message under way.
/// The log names messages by id and errors by type only: never an address or a text.
/// </summary>
/// <remarks>
/// On PostgreSQL the run holds a session advisory lock for its duration (not a transaction: a
/// message's status must commit as soon as it is sent, not when the batch ends); a node that does
/// not get it skips, because another node is dispatching. On SQLite one file is one node.
/// </remarks>
public sealed partial class NotificationDispatch(
    PrivacyDbContext db,
    SubjectKeys keys,
    PersonalDataVault vault,
    ConsentLedger ledger,
    EmailSender email,
    ISmsSender sms,
    IOptions<NotificationOptions> options,
    TimeProvider time,
    ILogger<NotificationDispatch> logger)
{
    /// <summary>The purpose an address is read for: answering and informing the subject.</summary>
    public const string Purpose = "essential.service.operations.support";

    /// <summary>The actor of the dispatcher's reads.</summary>
    public const string Actor = "system:notifications";

    /// <summary>The advisory lock key, 0x6B6F6E7A656E0101: "konzen", then one for notifications.</summary>
    internal const long LockKey = 0x6B6F6E7A656E0101;

    /// <summary>Sends what is due now.</summary>
    public async Task<NotificationDispatchResult> RunAsync(CancellationToken cancellationToken = default)
    {
        if (!db.Database.IsNpgsql())
        {
            return await DispatchAsync(cancellationToken);
        }

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var granted = await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_lock({LockKey}) AS \"Value\"").ToListAsync(cancellationToken);
            if (!granted[0])
            {
                LogSkipped(logger);
                return NotificationDispatchResult.Skipped;
            }

            try
            {
                return await DispatchAsync(cancellationToken);
            }
            finally
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task<NotificationDispatchResult> DispatchAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var due = await db.Set<Notification>()
            .Where(n => n.Status == NotificationStatus.Pending && n.NextAttemptAt <= now)
            .OrderBy(n => n.NextAttemptAt).ThenBy(n => n.Id)
            .Take(settings.BatchSize)
            .ToListAsync(cancellationToken);
        int sent = 0, retrying = 0, failed = 0;
        foreach (var message in due)
        {
            string? error;
            var final = false;
            try
            {
                (error, final) = await DeliverAsync(message, cancellationToken);
            }
#pragma warning disable CA1031 // Any failure of one delivery is that message's failed attempt; the batch goes on.
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                error = e.GetType().Name;
            }

            message.Attempts++;
            if (error is null)
            {
                message.Status = NotificationStatus.Sent;
                message.SentAt = time.GetUtcNow();
                message.NextAttemptAt = null;
                message.Error = null;
                sent++;
            }
            else if (final || message.Attempts >= settings.MaxAttempts)
            {
                message.Status = NotificationStatus.Failed;
                message.NextAttemptAt = null;
                message.Error = Truncate(error);
                failed++;
                LogGaveUp(logger, message.Id, message.Attempts, message.Error);
            }
            else
            {
                message.NextAttemptAt = time.GetUtcNow() + Backoff(settings.BaseBackoff, message.Attempts);
                message.Error = Truncate(error);
                retrying++;
                LogRetrying(logger, message.Id, message.Attempts, message.Error, message.NextAttemptAt.Value);
            }

            await db.SaveChangesAsync(CancellationToken.None);
        }

        if (due.Count > 0)
        {
            LogDispatched(logger, sent, retrying, failed);
        }

        return new NotificationDispatchResult(NotificationDispatchOutcome.Completed, sent, retrying, failed);
    }

    /// <summary>The wait after the <paramref name="attempts"/>-th failure: base, 2 × base, 4 × base, … (capped at 1,024 × base).</summary>
    public static TimeSpan Backoff(TimeSpan baseBackoff, int attempts) =>
        baseBackoff * Math.Pow(2, Math.Clamp(attempts - 1, 0, 10));

    /// <summary>Null when sent; else a short error code and whether retrying can never help.</summary>
    private async Task<(string? Error, bool Final)> DeliverAsync(Notification message, CancellationToken cancellationToken)
    {
        if (NotificationTemplates.Find(message.TemplateKey) is not { } template)
        {
            return ("unknown-template", true);
        }

        if (await keys.FindAsync(message.SubjectId, cancellationToken) is not { } dataKey)
        {
            // The subject cancelled: the key is gone, and with it what the message would have said.
            return ("key-shredded", true);
        }

        var values = NotificationOutbox.Open(dataKey, message);
        var (subject, body) = template.Render(NotificationOutbox.LanguageOf(message), values);
        var field = message.Channel == NotificationChannel.Email ? PersonalDataVault.EmailField : PersonalDataVault.PhoneField;
        var state = await ledger.GetStateAsync(message.SubjectId, cancellationToken);

        // A notice that serves an optional purpose (a survey) reads the address for that purpose: the
        // gate decides on the consent as it is now, so a withdrawal after queueing stops the delivery.
        var read = await vault.ReadAsync(db, state, message.SubjectId, field, template.Purpose ?? Purpose, Actor, cancellationToken);
        if (read.Value is not { } address)
        {
            return (read.Decision.Allowed ? "no-address" : template.Purpose is null ? "read-denied" : "consent-not-held", true);
        }

        if (message.Channel == NotificationChannel.Email)
        {
            await email.SendAsync(new EmailMessage(address, subject, body), cancellationToken);
        }
        else
        {
            await sms.SendAsync(address, $"{subject}\n{body}", cancellationToken);
        }

        return (null, false);
    }

    private static string Truncate(string error) => error.Length <= 64 ? error : error[..64];

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification dispatch skipped: another node holds the dispatcher lock")]
    private static partial void LogSkipped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notifications dispatched: {Sent} sent, {Retrying} to retry, {Failed} given up")]
    private static partial void LogDispatched(ILogger logger, int sent, int retrying, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {NotificationId} attempt {Attempt} failed ({Error}); next attempt at {NextAttemptAt:O}")]
    private static partial void LogRetrying(ILogger logger, Guid notificationId, int attempt, string error, DateTimeOffset nextAttemptAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {NotificationId} failed after {Attempts} attempt(s) ({Error}); given up")]
    private static partial void LogGaveUp(ILogger logger, Guid notificationId, int attempts, string error);
}

/// <summary>Runs a <see cref="NotificationDispatch"/> every <see cref="NotificationOptions.Interval"/>.</summary>
internal sealed class NotificationDispatcher(
    IServiceScopeFactory scopes,
    IOptions<NotificationOptions> options,
    TimeProvider time,
    ILogger<NotificationDispatcher> logger) : PeriodicJob<NotificationDispatchResult>(scopes, time, logger)
{
    protected override string Name => "Notification dispatch";

    protected override TimeSpan? Interval => options.Value.Enabled ? options.Value.Interval : null;

    protected override NotificationDispatchResult Failed => NotificationDispatchResult.Crashed;

    protected override Task<NotificationDispatchResult> RunAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<NotificationDispatch>().RunAsync(cancellationToken);
}
