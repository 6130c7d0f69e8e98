using System.Globalization;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Residency;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Collection;

/// <summary>One report from the device: a fix, and whether positioning is on.</summary>
public sealed record LocationReport(double Latitude, double Longitude, double Accuracy, LocationSource Source, bool PositioningOn, DateTimeOffset RecordedAt);

/// <summary>Why a report stored no point.</summary>
public enum LocationRefusal
{
    None,
    NotConsented,
    PositioningOff,
    InvalidPoint,

    /// <summary>The end of the service is announced: optional collection has stopped (S2.5).</summary>
    ServiceCeasing,
}

/// <summary>The outcome of a report: the stored point's id, or the refusal.</summary>
public sealed record LocationRecorded(LocationRefusal Refusal, Guid? PointId, string? Detail = null);

/// <summary>A point as one purpose may see it; <see cref="CityLevel"/> when rounded to 0.1 degree.</summary>
public sealed record LocationView(DateTimeOffset RecordedAt, double Latitude, double Longitude, bool CityLevel);

/// <summary>The gate's decision for the read, and the points only when some precision was allowed.</summary>
public sealed record LocationRead(PurposeDecision Decision, IReadOnlyList<LocationView> Points);

/// <summary>
/// Takes location reports from a subject's device (S1.3, S1.4): a point is stored, encrypted, only while
/// <c>functional.location</c> is consented and positioning is on; an "off" report is recorded and stops
/// collection until an "on" report. Reads give each purpose the precision the policy allows it.
/// </summary>
public sealed class LocationIntake(
    PrivacyDbContext db, ConsentLedger ledger, CompiledPolicy policy, SubjectKeys keys, AuditLog audit, ResidencyGuard residency, TimeProvider time,
    Cessation.ServiceCessation cessation)
{
    public const string Purpose = "functional.location";
    public const string PreciseCategory = "user.location.precise";
    public const string CityCategory = "user.location.imprecise";

    /// <summary>A device clock may run this far ahead of ours.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Accuracy radii above this (metres) are not a position.</summary>
    public const double MaxAccuracy = 100_000;

    /// <summary>
    /// Validates, gates and, when allowed, stores one report with its audit entry. Throws
    /// <see cref="ResidencyViolationException"/>, storing nothing, when the subject's region is not the store's.
    /// </summary>
    public async Task<LocationRecorded> RecordAsync(Guid subjectId, LocationReport report, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        var now = time.GetUtcNow();
        if (Validate(report, now) is { } invalid)
        {
            return new LocationRecorded(LocationRefusal.InvalidPoint, null, invalid);
        }

        if (await cessation.CurrentAsync(cancellationToken) is not null)
        {
            return new LocationRecorded(LocationRefusal.ServiceCeasing, null, "the end of the service is announced");
        }

        var subject = await ledger.GetStateAsync(subjectId, cancellationToken);
        if (subject.Region != RegionId.Undeclared)
        {
            // A store of another region takes no point of this subject, not even an "off" report (S2.3);
            // an unknown subject is left to the gate, which refuses it.
            residency.EnsureWritable(subject.Region);
        }

        var decision = policy.Decide(subject, policy.Category(PreciseCategory), policy.Purpose(Purpose));
        if (!decision.Allowed)
        {
            return new LocationRecorded(LocationRefusal.NotConsented, null, decision.Reason.ToString());
        }

        var state = await db.Set<PositioningState>().FindAsync([subjectId], cancellationToken);
        var wasOn = state?.On ?? true;
        if (!report.PositioningOn)
        {
            // The "off" report itself is taken: it records the state and stores no point.
            if (wasOn)
            {
                SetState(subjectId, state, on: false, now);
                await audit.SaveChangesAsync(db, new AuditRecord(actor, "positioning.off", subjectId, PreciseCategory, Purpose), cancellationToken);
            }

            return new LocationRecorded(LocationRefusal.PositioningOff, null, "positioning reported off");
        }

        if (!wasOn)
        {
            SetState(subjectId, state, on: true, now);
        }

        var point = new LocationPoint
        {
            Id = Guid.NewGuid(),
            SubjectId = subjectId,
            RecordedAt = report.RecordedAt.ToUniversalTime(),
            ReceivedAt = now,
            Source = report.Source,
            Accuracy = report.Accuracy,
        };
        var dataKey = await keys.GetOrCreateAsync(subjectId, cancellationToken);
        var value = string.Create(CultureInfo.InvariantCulture, $"{report.Latitude:R},{report.Longitude:R}");
        point.Coordinates = FieldCipher.Encrypt(dataKey, subjectId, AadField(point.Id), value);
        db.Add(point);
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "location.recorded", subjectId, PreciseCategory, Purpose), cancellationToken);
        return new LocationRecorded(LocationRefusal.None, point.Id);
    }

    /// <summary>
    /// The subject's points as <paramref name="purpose"/> may see them: full precision when the gate allows
    /// it <c>user.location.precise</c>, rounded to 0.1 degree (about 11 km, city level) when it allows only
    /// <c>user.location.imprecise</c>, none otherwise. Every read is audited.
    /// </summary>
    public async Task<LocationRead> ReadAsync(Guid subjectId, string purpose, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(purpose);
        var purposeId = policy.Purpose(purpose);
        var precise = await ledger.DecideAsync(subjectId, policy.Category(PreciseCategory), purposeId, cancellationToken);
        var decision = precise.Allowed ? precise : await ledger.DecideAsync(subjectId, policy.Category(CityCategory), purposeId, cancellationToken);
        var detail = $"{(decision.Allowed ? "allowed" : "denied")}: {decision.Reason} ({decision.Clause}){(decision.Allowed && !precise.Allowed ? "; city level" : string.Empty)}";
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "location.read", subjectId, precise.Allowed ? PreciseCategory : CityCategory, purpose, detail), cancellationToken);
        if (!decision.Allowed)
        {
            return new LocationRead(decision, []);
        }

        var rows = await db.Set<LocationPoint>().AsNoTracking().Where(p => p.SubjectId == subjectId).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return new LocationRead(decision, []);
        }

        var dataKey = await keys.FindAsync(subjectId, cancellationToken) ?? throw new SubjectKeyMissingException(subjectId);
        var points = new List<LocationView>(rows.Count);
        foreach (var row in rows.OrderBy(r => r.RecordedAt))
        {
            var (latitude, longitude) = Open(dataKey, subjectId, row.Id, row.Coordinates);
            points.Add(precise.Allowed
                ? new LocationView(row.RecordedAt, latitude, longitude, CityLevel: false)
                : new LocationView(row.RecordedAt, Math.Round(latitude, 1), Math.Round(longitude, 1), CityLevel: true));
        }

        return new LocationRead(decision, points);
    }

    private string? Validate(LocationReport report, DateTimeOffset now)
    {
        if (!double.IsFinite(report.Latitude) || report.Latitude is < -90 or > 90)
        {
            return "latitude";
        }

        if (!double.IsFinite(report.Longitude) || report.Longitude is < -180 or > 180)
        {
            return "longitude";
        }

        if (!double.IsFinite(report.Accuracy) || report.Accuracy is < 0 or > MaxAccuracy)
        {
            return "accuracy";
        }

        if (!Enum.IsDefined(report.Source))
        {
            return "source";
        }

        // A point already past the policy's retention for precise location would be due for deletion
        // the moment it arrived, so it is not taken at all.
        var expires = policy[policy.Category(PreciseCategory)].Retention.ExpiresAt(report.RecordedAt);
        return report.RecordedAt > now + ClockSkew || expires <= now ? "time" : null;
    }

    // The row id in the associated data: a sealed point copied to another row or subject fails to open.
    internal static string AadField(Guid pointId) => $"location_points/{pointId:N}";

    /// <summary>The point's coordinates, opened with the subject's data key (throws if they are not this subject's point).</summary>
    internal static (double Latitude, double Longitude) Open(byte[] dataKey, Guid subjectId, Guid pointId, byte[] coordinates)
    {
        var parts = FieldCipher.Decrypt(dataKey, subjectId, AadField(pointId), coordinates).Split(',');
        return (double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    private void SetState(Guid subjectId, PositioningState? state, bool on, DateTimeOffset now)
    {
        if (state is null)
        {
            db.Add(new PositioningState { SubjectId = subjectId, On = on, Since = now });
            return;
        }

        state.On = on;
        state.Since = now;
    }
}
