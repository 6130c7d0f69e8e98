using System.Globalization;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Controller;

/// <summary>Why a transfer was not recorded; <see cref="None"/> when it was.</summary>
public enum ControllerTransferRefusal
{
    None,

    /// <summary>The new name is empty, too long or has control characters.</summary>
    InvalidName,

    /// <summary>The new controller is the one the last transfer named (before any, the one the policy names).</summary>
    SameController,

    /// <summary>The effective date lies before the last transfer's.</summary>
    EffectiveTooEarly,
}

/// <summary>The outcome of a transfer: the record and how many subjects were notified, or why nothing was recorded.</summary>
public sealed record ControllerTransferResult(ControllerTransferRefusal Refusal, ControllerTransfer? Transfer);

/// <summary>
/// The controller in charge now (since <see cref="Since"/>; null for the one the policy names), the
/// policy that binds it, the transfer recorded to take effect later if any, and every transfer, oldest first.
/// </summary>
public sealed record CurrentController(
    string Name, DateTimeOffset? Since, string PolicyVersion, string PolicyHash, ControllerTransfer? Upcoming, IReadOnlyList<ControllerTransfer> Transfers);

/// <summary>
/// Controller transfer (S5.5): records the new controller bound to the policy in force (the same
/// content hash, so every purpose, right and protection carries over), audits it in the same
/// transaction, and tells every subject through the <see cref="NotificationOutbox"/> in their language.
/// </summary>
/// <remarks>
/// The record and its audit entry commit first; the notices follow in batches of their own. Should the
/// notifying stop half way (a crash), the transfer stands and <see cref="ControllerTransfer.Notified"/>
/// stays 0, which shows the operator that the notices must be sent again.
/// </remarks>
public sealed class ControllerTransfers(PrivacyDbContext db, NotificationOutbox outbox, CompiledPolicy policy, AuditLog audit, TimeProvider time)
{
    public const int MaxNameLength = 200;

    /// <summary>
    /// The controller now: the new controller of the last transfer already in effect, or the one the
    /// policy names. A transfer recorded for a later day is <see cref="CurrentController.Upcoming"/> until then.
    /// </summary>
    public async Task<CurrentController> CurrentAsync(CancellationToken cancellationToken = default)
    {
        var transfers = await TransfersAsync(cancellationToken);
        var now = time.GetUtcNow();
        var effective = transfers.LastOrDefault(t => t.EffectiveAt <= now);
        var upcoming = transfers.Count > 0 && transfers[^1].EffectiveAt > now ? transfers[^1] : null;
        return new CurrentController(
            effective?.To ?? policy.Document.Controller.Name.En,
            effective?.EffectiveAt,
            policy.Version.Number,
            policy.Version.ContentHash,
            upcoming,
            transfers);
    }

    /// <summary>
    /// Records that <paramref name="to"/> takes over, at <paramref name="effective"/> (default: now, never
    /// before the last transfer's date), from the controller the last transfer named, and enqueues the notice for every subject.
    /// </summary>
    public async Task<ControllerTransferResult> TransferAsync(string to, DateTimeOffset? effective, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(to);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var name = to.Trim();
        if (name.Length is 0 or > MaxNameLength || name.Any(char.IsControl))
        {
            return new ControllerTransferResult(ControllerTransferRefusal.InvalidName, null);
        }

        // Transfers chain: each one starts from the controller the one before it named, even if that
        // one takes effect later, so the history reads as one line of hand-overs.
        var transfers = await TransfersAsync(cancellationToken);
        var last = transfers.Count == 0 ? null : transfers[^1];
        var from = last?.To ?? policy.Document.Controller.Name.En;
        if (string.Equals(from, name, StringComparison.Ordinal))
        {
            return new ControllerTransferResult(ControllerTransferRefusal.SameController, null);
        }

        var now = time.GetUtcNow();
        var at = effective ?? now;
        if (last is not null && at < last.EffectiveAt)
        {
            return new ControllerTransferResult(ControllerTransferRefusal.EffectiveTooEarly, null);
        }

        var transfer = new ControllerTransfer
        {
            Id = Guid.CreateVersion7(now),
            From = from,
            To = name,
            EffectiveAt = at,
            RecordedAt = now,
            PolicyHash = policy.Version.ContentHash,
            PolicyVersion = policy.Version.Number,
            Actor = actor,
        };
        db.Add(transfer);
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "controller.transferred",
            Detail: $"from \"{transfer.From}\" to \"{transfer.To}\" effective {at.ToString("O", CultureInfo.InvariantCulture)}; bound to policy {transfer.PolicyVersion} ({transfer.PolicyHash})"),
            cancellationToken);

        var notified = await outbox.EnqueueForAllAsync(NotificationTemplates.ControllerTransferred, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["from"] = transfer.From,
            ["to"] = transfer.To,
            ["effective"] = at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["policyVersion"] = transfer.PolicyVersion,
            ["policyHash"] = transfer.PolicyHash,
        }, cancellationToken);

        db.Attach(transfer);
        transfer.Notified = notified;
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "controller.notified", Detail: $"transfer {transfer.Id}: notice enqueued for {notified.ToString(CultureInfo.InvariantCulture)} subjects"), cancellationToken);
        return new ControllerTransferResult(ControllerTransferRefusal.None, transfer);
    }

    private async Task<List<ControllerTransfer>> TransfersAsync(CancellationToken cancellationToken) =>
        await db.Set<ControllerTransfer>().AsNoTracking().OrderBy(t => t.RecordedAt).ThenBy(t => t.Id).ToListAsync(cancellationToken);
}
