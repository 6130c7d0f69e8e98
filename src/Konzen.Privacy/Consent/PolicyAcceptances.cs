using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Policy.Versions;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Consent;

/// <summary>A purpose that a material change made new for the subject and that they have not decided on yet.</summary>
/// <param name="Purpose">The purpose key: give or refuse it with the consent endpoints.</param>
/// <param name="Name">The purpose's name in both languages.</param>
/// <param name="Reasons">Why it needs consent again: the material changes that concern it.</param>
public sealed record PolicyConsentItem(string Purpose, LocalizedText Name, IReadOnlyList<LocalizedText> Reasons);

/// <summary>A version published to take effect later.</summary>
public sealed record PendingPolicy(string Version, DateTimeOffset EffectiveAt, bool Material);

/// <summary>
/// What the site must show a subject about the policy (S7.1, S7.2): the version in force, when the
/// subject accepted it (at registration or by continued use), what changed since the version they
/// registered under, what new needs their explicit consent, and the next version if one is published.
/// </summary>
public sealed record PolicyStatus(
    string Version,
    string ContentHash,
    DateTimeOffset EffectiveAt,
    DateTimeOffset? AcceptedAt,
    IReadOnlyList<PolicyChange> Changes,
    IReadOnlyList<PolicyConsentItem> NeedsConsent,
    PendingPolicy? Pending);

/// <summary>
/// Acceptance of a new policy version (S7.2). At the subject's first use after the effective date the
/// version is recorded in the consent ledger as accepted by continued use, once; it changes no purpose,
/// so whatever a material change made new stays off until the subject consents (the ledger's fold
/// does not let older consent cover it), and refusing it costs nothing the service needs.
/// </summary>
public sealed class PolicyAcceptances(
    PrivacyDbContext db,
    PolicyVersions versions,
    CompiledPolicy policy,
    AuditLog audit,
    ReceiptSigner signer,
    NotificationOutbox outbox,
    IOptions<PolicyVersionsOptions> options,
    PolicyAcceptanceMemo memo,
    TimeProvider time)
{
    /// <summary>
    /// Makes sure a subject who registered after a pending version was published (and so was not among
    /// those its publication told) gets its notice too, at their first use, before it takes effect (S7.1).
    /// True when the notice was queued now.
    /// </summary>
    public async Task<bool> TellOfPendingAsync(Guid subjectId, CancellationToken cancellationToken = default)
    {
        if (versions.Pending is not { PublishedAt: { } published } pending || memo.Told(subjectId, pending.ContentHash))
        {
            return false;
        }

        // Whoever existed at publication has the notice; one created since then for this subject counts too.
        var told = await db.Set<Notification>().AsNoTracking()
            .AnyAsync(n => n.SubjectId == subjectId && n.TemplateKey == NotificationTemplates.PolicyVersion.Key && n.CreatedAt >= published, cancellationToken);
        var known = told || await db.Subjects.AsNoTracking().AnyAsync(s => s.Id == subjectId, cancellationToken);
        if (!told && known)
        {
            await outbox.EnqueueAsync(subjectId, NotificationTemplates.PolicyVersion, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["version"] = pending.Number,
                ["effective"] = pending.EffectiveAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["link"] = options.Value.ChangesLink,
            }, cancellationToken);
        }

        if (known)
        {
            memo.RememberTold(subjectId, pending.ContentHash);
        }

        return !told && known;
    }

    /// <summary>
    /// Records that <paramref name="subjectId"/> accepted the version in force by using the service after
    /// it took effect, unless the subject registered under it or accepted it already. True when recorded
    /// now. Before any version followed the first there is nothing to accept.
    /// </summary>
    public async Task<bool> RecordUseAsync(Guid subjectId, ConsentMethod method, CancellationToken cancellationToken = default)
    {
        if (versions.WithHash(policy.Version.ContentHash) is not { Sequence: > 1 } current)
        {
            return false;
        }

        if (memo.Accepted(subjectId, current.ContentHash))
        {
            return false;
        }

        var registeredUnder = await db.Subjects.AsNoTracking().Where(s => s.Id == subjectId).Select(s => s.AcceptedPolicyHash).FirstOrDefaultAsync(cancellationToken);
        if (registeredUnder is null)
        {
            return false;
        }

        if (registeredUnder == current.ContentHash || await AcceptedAtAsync(subjectId, current.ContentHash, cancellationToken) is not null)
        {
            memo.Remember(subjectId, current.ContentHash);
            return false;
        }

        var at = WholeMicroseconds(time.GetUtcNow());
        var receiptId = ReceiptIdOf(subjectId, current.ContentHash);
        db.Set<ConsentEvent>().Add(new ConsentEvent
        {
            SubjectId = subjectId,
            Kind = ConsentEventKind.PolicyAccepted,
            PurposeKey = string.Empty,
            Granted = true,
            PolicyHash = current.ContentHash,
            Method = method,
            At = at,
            ReceiptId = receiptId,
            Receipt = signer.Sign(Payload(subjectId, receiptId, current, at)),
        });
        try
        {
            await audit.SaveChangesAsync(db, new AuditRecord($"subject:{subjectId}", "policy.accepted", subjectId, Detail: $"version {current.Number} ({current.ContentHash}) by continued use"), cancellationToken);
            memo.Remember(subjectId, current.ContentHash);
            return true;
        }
        catch (DbUpdateException)
        {
            // The receipt id is derived from the subject and the version, so a second request of the same
            // subject racing this one (on any node) hits the unique index: the acceptance is recorded once.
            db.ChangeTracker.Clear();
            return false;
        }
    }

    /// <summary>What the site must show <paramref name="subjectId"/>; null for an unknown subject.</summary>
    public async Task<PolicyStatus?> StatusAsync(Guid subjectId, CancellationToken cancellationToken = default)
    {
        var subject = await db.Subjects.AsNoTracking().Where(s => s.Id == subjectId)
            .Select(s => new { s.AcceptedPolicyHash, s.CreatedAt })
            .FirstOrDefaultAsync(cancellationToken);
        if (subject is null)
        {
            return null;
        }

        var current = versions.WithHash(policy.Version.ContentHash);
        var pending = versions.Pending is { } next ? new PendingPolicy(next.Number, next.EffectiveAt, next.Material) : null;
        if (current is null)
        {
            // Not a stored version (the store was not read yet): nothing changed that this node knows of.
            return new PolicyStatus(policy.Version.Number, policy.Version.ContentHash, PolicyVersions.StartOf(policy.Version.Effective), subject.CreatedAt, [], [], pending);
        }

        var registeredUnder = versions.WithHash(subject.AcceptedPolicyHash)?.Sequence ?? 0;
        var acceptedAt = subject.AcceptedPolicyHash == current.ContentHash ? subject.CreatedAt : await AcceptedAtAsync(subjectId, current.ContentHash, cancellationToken);
        var since = versions.All.Where(r => r.Sequence > Math.Max(registeredUnder, 1) && r.Sequence <= current.Sequence).ToList();
        var changes = since.SelectMany(r => r.Changes).ToList();

        // A purpose counts as decided once the subject granted or refused it under a version that has what is new.
        var decided = await db.Set<ConsentEvent>().AsNoTracking()
            .Where(e => e.SubjectId == subjectId && e.Kind == ConsentEventKind.Consent)
            .Select(e => new { e.PurposeKey, e.PolicyHash })
            .ToListAsync(cancellationToken);
        var needs = new List<PolicyConsentItem>();
        foreach (var (key, boundary) in current.ConsentSince.Where(c => c.Value > registeredUnder).OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var id = policy.Purpose(key);
            if (id == PurposeId.Undeclared || decided.Any(e => e.PurposeKey == key && (versions.WithHash(e.PolicyHash)?.Sequence ?? 0) >= boundary))
            {
                continue;
            }

            var reasons = versions.All.Where(r => r.Sequence >= boundary && r.Sequence <= current.Sequence)
                .SelectMany(r => r.Changes).Where(c => c.NeedsConsent.Contains(key)).Select(c => c.What).ToList();
            needs.Add(new PolicyConsentItem(key, policy[id].Name, reasons));
        }

        return new PolicyStatus(current.Number, current.ContentHash, current.EffectiveAt, acceptedAt, changes, needs, pending);
    }

    private async Task<DateTimeOffset?> AcceptedAtAsync(Guid subjectId, string contentHash, CancellationToken cancellationToken) =>
        await db.Set<ConsentEvent>().AsNoTracking()
            .Where(e => e.SubjectId == subjectId && e.Kind == ConsentEventKind.PolicyAccepted && e.PolicyHash == contentHash)
            .Select(e => (DateTimeOffset?)e.At)
            .FirstOrDefaultAsync(cancellationToken);

    /// <summary>The same id for the same subject and version, so that the store refuses a second acceptance.</summary>
    private static Guid ReceiptIdOf(Guid subjectId, string contentHash)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"konzen:policy-accepted:{subjectId:N}:{contentHash}"));
        return new Guid(hash.AsSpan(0, 16));
    }

    private static byte[] Payload(Guid subjectId, Guid receiptId, PolicyRelease version, DateTimeOffset at)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("version", ReceiptPayload.Version);
            json.WriteString("consentReceiptID", receiptId);
            json.WriteString("piiPrincipalId", subjectId);
            json.WriteNumber("iat", at.ToUnixTimeSeconds());
            json.WriteString("policyUrl", "/policy");
            json.WriteString("policyVersion", version.Number);
            json.WriteString("policyHash", version.ContentHash);
            json.WriteString("consentType", "IMPLICIT");
            json.WriteString("consentStatus", "accepted-by-continued-use");
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    // PostgreSQL keeps timestamps to the microsecond; the receipt and the row must say the same instant.
    private static DateTimeOffset WholeMicroseconds(DateTimeOffset at) =>
        new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);
}

/// <summary>
/// Each node's memory of which subjects accepted the version in force, so that a subject's every request
/// after the first does not read the store again. It only remembers facts that stay true (an acceptance
/// is never taken back), so nodes need not tell each other anything.
/// </summary>
public sealed class PolicyAcceptanceMemo
{
    // Bounded like the consent-state cache: starting over costs one read per active subject.
    private const int Capacity = 100_000;
    private readonly ConcurrentDictionary<Guid, string> accepted = new();
    private readonly ConcurrentDictionary<Guid, string> told = new();

    internal bool Told(Guid subjectId, string contentHash) =>
        told.TryGetValue(subjectId, out var hash) && string.Equals(hash, contentHash, StringComparison.Ordinal);

    internal void RememberTold(Guid subjectId, string contentHash)
    {
        if (told.Count >= Capacity)
        {
            told.Clear();
        }

        told[subjectId] = contentHash;
    }

    internal bool Accepted(Guid subjectId, string contentHash) =>
        accepted.TryGetValue(subjectId, out var hash) && string.Equals(hash, contentHash, StringComparison.Ordinal);

    internal void Remember(Guid subjectId, string contentHash)
    {
        if (accepted.Count >= Capacity)
        {
            accepted.Clear();
        }

        accepted[subjectId] = contentHash;
    }
}
