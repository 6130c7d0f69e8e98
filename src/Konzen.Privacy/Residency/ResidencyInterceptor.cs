using System.Collections.Concurrent;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Subjects;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Konzen.Privacy.Residency;

/// <summary>
/// Subjects' regions, remembered by id. A subject's region is set at registration and nothing moves
/// it, so a remembered region never goes stale; the map is bounded and simply starts over when full.
/// </summary>
internal sealed class SubjectRegions
{
    /// <summary>How many subjects' regions are kept before the map starts over.</summary>
    public const int Capacity = 100_000;

    private readonly ConcurrentDictionary<Guid, RegionId> regions = new();

    public bool TryGet(Guid subjectId, out RegionId region) => regions.TryGetValue(subjectId, out region);

    public void Remember(Guid subjectId, RegionId region)
    {
        if (regions.Count >= Capacity)
        {
            regions.Clear();
        }

        regions[subjectId] = region;
    }

    public void Forget(Guid subjectId) => regions.TryRemove(subjectId, out _);
}

/// <summary>
/// The backstop of S2.3 that every writer through <see cref="Storage.PrivacyDbContext"/> gets without
/// asking: before SaveChanges writes anything, each added or modified subject, and each added or
/// modified <see cref="ISubjectData"/> row, must belong to a subject (or an anonymous visitor) homed in the store's region.
/// Otherwise <see cref="ResidencyViolationException"/> is thrown and nothing is saved. Regions come
/// from subjects tracked by the context, then from <see cref="SubjectRegions"/>, then from one query
/// for all the ids still unknown. A row of an id that is no subject is refused: its region cannot be shown.
/// </summary>
internal sealed class ResidencyInterceptor(ResidencyGuard guard, SubjectRegions known, CompiledPolicy policy) : SaveChangesInterceptor
{
    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (eventData.Context is { } context && Pending(context) is { } pending)
        {
            Check(pending, Load(context, pending));
        }

        return result;
    }

    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } context && Pending(context) is { } pending)
        {
            Check(pending, await LoadAsync(context, pending, cancellationToken));
        }

        return result;
    }

    /// <summary>
    /// Checks what can be checked from the change tracker and the map, and returns the subject ids whose
    /// region must still be read, or null when none.
    /// </summary>
    private HashSet<Guid>? Pending(DbContext context)
    {
        HashSet<Guid>? owners = null;
        Dictionary<Guid, string>? tracked = null;
        foreach (var entry in context.ChangeTracker.Entries())
        {
            switch (entry.Entity)
            {
                case Subject subject:
                    (tracked ??= [])[subject.Id] = subject.Region;
                    if (entry.State is EntityState.Added or EntityState.Modified)
                    {
                        known.Forget(subject.Id);
                        guard.EnsureWritable(subject.Region);
                    }

                    break;
                case Visitor visitor:
                    // An anonymous visitor's consent record is homed like a subject.
                    (tracked ??= [])[visitor.Id] = visitor.Region;
                    if (entry.State is EntityState.Added or EntityState.Modified)
                    {
                        guard.EnsureWritable(visitor.Region);
                    }

                    break;
                case ISubjectData data when entry.State is EntityState.Added or EntityState.Modified:
                    (owners ??= []).Add(data.SubjectId);
                    break;
            }
        }

        if (owners is null)
        {
            return null;
        }

        owners.RemoveWhere(id =>
        {
            if (tracked is not null && tracked.TryGetValue(id, out var region))
            {
                guard.EnsureWritable(region);
                return true;
            }

            if (known.TryGet(id, out var regionId))
            {
                guard.EnsureWritable(regionId);
                return true;
            }

            return false;
        });
        return owners.Count == 0 ? null : owners;
    }

    private sealed record SubjectRegion(Guid Id, string Region);

    private void Check(HashSet<Guid> pending, List<SubjectRegion> found)
    {
        foreach (var (id, region) in found)
        {
            var regionId = policy.Region(region);
            guard.EnsureWritable(regionId);
            known.Remember(id, regionId);
            pending.Remove(id);
        }

        if (pending.Count > 0)
        {
            guard.EnsureWritable(RegionId.Undeclared);
        }
    }

    private static IQueryable<SubjectRegion> Query(DbContext context, HashSet<Guid> ids) =>
        context.Set<Subject>().AsNoTracking().Where(s => ids.Contains(s.Id)).Select(s => new { s.Id, s.Region })
            .Concat(context.Set<Visitor>().AsNoTracking().Where(v => ids.Contains(v.Id)).Select(v => new { v.Id, v.Region }))
            .Select(r => new SubjectRegion(r.Id, r.Region));

    private static List<SubjectRegion> Load(DbContext context, HashSet<Guid> ids) => [.. Query(context, ids)];

    private static Task<List<SubjectRegion>> LoadAsync(DbContext context, HashSet<Guid> ids, CancellationToken cancellationToken) =>
        Query(context, ids).ToListAsync(cancellationToken);
}
