using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Sharing;

/// <summary>Which kind of advertising a request may get.</summary>
public enum AdMode
{
    /// <summary>Advertising shown to everyone alike, chosen without any data about the person.</summary>
    Generic,

    /// <summary>Advertising chosen by the <see cref="AdDecision.Segments"/>.</summary>
    Personalized,
}

/// <summary>Why the decision went the way it did.</summary>
public enum AdReason
{
    /// <summary>Consent to personalized advertising is given and holds now.</summary>
    Consented,

    /// <summary>Nobody is known: no session and no visitor cookie.</summary>
    Anonymous,

    /// <summary>The request carries the Global Privacy Control signal.</summary>
    GlobalPrivacyControl,

    /// <summary>No consent, or it was withdrawn.</summary>
    NotConsented,

    /// <summary>A minor (or a subject whose age is not known): never personalized (S8.1).</summary>
    Minor,
}

/// <summary>
/// The answer of the ad-decision endpoint (S4.5). <see cref="Segments"/> is empty unless the mode is
/// personalized; each segment is a coarse, non-identifying label such as <c>age:30-39</c> or
/// <c>city:39.9,116.4</c>, derived only from a category the advertising purpose may use.
/// </summary>
public sealed record AdDecision(AdMode Mode, AdReason Reason, IReadOnlyList<string> Segments)
{
    public static AdDecision Generic(AdReason reason) => new(AdMode.Generic, reason, []);
}

/// <summary>The ad decision. Bound from <c>Ads</c>.</summary>
public sealed class AdOptions
{
    public const string Section = "Ads";

    /// <summary>
    /// How long a subject's segments (and the age check behind them) are reused before they are
    /// derived again. Consent is checked at every decision whatever this says. Defaults to 5
    /// minutes; zero derives them every time; at most 1 hour.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan SegmentLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How many subjects' segments one node keeps. Defaults to 10,000.</summary>
    [Range(0, 1_000_000)]
    public int SegmentCacheEntries { get; set; } = 10_000;
}

/// <summary>
/// Decides, per request, between personalized and generic advertising (S4.5): personalized only when
/// the actor (a signed-in subject or a consent-banner visitor) has consented to
/// <see cref="Purpose"/> and not withdrawn it, the request does not carry <c>Sec-GPC: 1</c>, and the
/// subject is an adult. The consent check answers from the cached consent state at every decision,
/// so a withdrawal holds at the very next one; what segments are derived from (the birth date for the
/// age band and the minor rule, the latest location point at city level) is read by primary key or
/// index, audited, and reused for <see cref="AdOptions.SegmentLifetime"/>.
/// </summary>
public sealed class AdDecisions(
    ConsentLedger ledger,
    CompiledPolicy policy,
    SubjectAges ages,
    PrivacyDbContext db,
    SubjectKeys keys,
    AuditLog audit,
    AdSegmentCache cache,
    IOptions<AdOptions> options,
    TimeProvider time)
{
    /// <summary>The purpose personalized advertising serves.</summary>
    public const string Purpose = "marketing.advertising.profiling";

    /// <summary>The category of the age band.</summary>
    public const string AgeBandCategory = "user.demographic.age_range";

    /// <summary>Decides for <paramref name="actor"/>; <paramref name="globalPrivacyControl"/> is true when the request says <c>Sec-GPC: 1</c>.</summary>
    public async ValueTask<AdDecision> DecideAsync(EventActor actor, bool globalPrivacyControl, CancellationToken cancellationToken = default)
    {
        if (actor.Kind == EventActorKind.Anonymous)
        {
            return AdDecision.Generic(AdReason.Anonymous);
        }

        if (globalPrivacyControl)
        {
            return AdDecision.Generic(AdReason.GlobalPrivacyControl);
        }

        var purpose = policy.Purpose(Purpose);
        var state = await ledger.GetStateAsync(actor.Id, cancellationToken);
        var ageBand = policy.Decide(state, policy.Category(AgeBandCategory), purpose);
        if (!ageBand.Allowed)
        {
            return AdDecision.Generic(ageBand.Reason == DecisionReason.MinorRestricted ? AdReason.Minor : AdReason.NotConsented);
        }

        if (actor.Kind == EventActorKind.Visitor)
        {
            // A visitor has no account: nothing is held to derive a segment from, and no age is known.
            return new AdDecision(AdMode.Personalized, AdReason.Consented, []);
        }

        var now = time.GetUtcNow();
        if (!cache.TryGet(actor.Id, now, out var profile))
        {
            profile = await ProfileAsync(actor.Id, state, purpose, cancellationToken);
            cache.Store(actor.Id, profile, now + options.Value.SegmentLifetime, options.Value.SegmentCacheEntries);
        }

        return profile.Minor ? AdDecision.Generic(AdReason.Minor) : new AdDecision(AdMode.Personalized, AdReason.Consented, profile.Segments);
    }

    /// <summary>The age band of an adult: 18-29, then decades, then 70+.</summary>
    public static string AgeBand(int age) => age switch
    {
        < 30 => "18-29",
        >= 70 => "70+",
        _ => string.Create(CultureInfo.InvariantCulture, $"{age / 10 * 10}-{(age / 10 * 10) + 9}"),
    };

    private async Task<AdProfile> ProfileAsync(Guid subjectId, SubjectState state, PurposeId purpose, CancellationToken cancellationToken)
    {
        var age = await ages.AgeAsync(subjectId, cancellationToken);
        if (age is not { } years || years < policy.Document.Minors.AdultAge)
        {
            return new AdProfile(true, []);
        }

        List<string> segments = [$"age:{AgeBand(years)}"];
        if (policy.Decide(state, policy.Category(LocationIntake.CityCategory), purpose).Allowed
            && await CityAsync(subjectId, cancellationToken) is { } city)
        {
            segments.Add($"city:{city}");
        }

        await audit.SaveChangesAsync(db, new AuditRecord("system:ads", "ads.segments-derived", subjectId, Purpose: Purpose,
            Detail: $"{AgeBandCategory}{(segments.Count > 1 ? $", {LocationIntake.CityCategory}" : string.Empty)}"), cancellationToken);
        return new AdProfile(false, segments);
    }

    /// <summary>The subject's latest point rounded to 0.1 degree (city level), or null when none is held.</summary>
    private async Task<string?> CityAsync(Guid subjectId, CancellationToken cancellationToken)
    {
        var point = await db.Set<LocationPoint>().AsNoTracking()
            .Where(p => p.SubjectId == subjectId)
            .OrderByDescending(p => p.RecordedAt)
            .FirstOrDefaultAsync(cancellationToken);
        if (point is null || await keys.FindAsync(subjectId, cancellationToken) is not { } dataKey)
        {
            return null;
        }

        var (latitude, longitude) = LocationIntake.Open(dataKey, subjectId, point.Id, point.Coordinates);
        return string.Create(CultureInfo.InvariantCulture, $"{Math.Round(latitude, 1):0.0},{Math.Round(longitude, 1):0.0}");
    }
}

/// <summary>What the segments of one subject were derived as: a minor gets none.</summary>
internal sealed record AdProfile(bool Minor, IReadOnlyList<string> Segments);

/// <summary>
/// Each node's memory of derived ad profiles, so that repeated decisions read neither the vault nor
/// the location table. Holds only the derived labels, never a birth date or coordinates.
/// </summary>
public sealed class AdSegmentCache
{
    private readonly ConcurrentDictionary<Guid, (AdProfile Profile, DateTimeOffset Until)> entries = new();

    internal bool TryGet(Guid subjectId, DateTimeOffset now, out AdProfile profile)
    {
        if (entries.TryGetValue(subjectId, out var entry) && entry.Until > now)
        {
            profile = entry.Profile;
            return true;
        }

        profile = null!;
        return false;
    }

    internal void Store(Guid subjectId, AdProfile profile, DateTimeOffset until, int capacity)
    {
        if (capacity == 0)
        {
            return;
        }

        if (entries.Count >= capacity)
        {
            // Bounded the simple way: starting over costs one derivation per active subject.
            entries.Clear();
        }

        entries[subjectId] = (profile, until);
    }

    /// <summary>Forgets a subject's profile (its location history was deleted, its account cancelled).</summary>
    public void Evict(Guid subjectId) => entries.TryRemove(subjectId, out _);
}
