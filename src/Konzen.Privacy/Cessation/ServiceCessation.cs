using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Cessation;

/// <summary>The announced end of the service as the intakes and the banner see it.</summary>
/// <param name="AnnouncedAt">When it was announced: from then on registration and optional collection are refused.</param>
/// <param name="CeaseAt">When the service stops; the end (keys destroyed) runs after it.</param>
/// <param name="DeletionDueAt">Everything is deleted or anonymized by then.</param>
/// <param name="CompletedAt">When the end ran; null before.</param>
public sealed record CessationState(DateTimeOffset AnnouncedAt, DateTimeOffset CeaseAt, DateTimeOffset DeletionDueAt, DateTimeOffset? CompletedAt);

/// <summary>
/// Whether the end of the service has been announced, for every intake that must stop at once
/// (registration, location, log events). A singleton: once announced, the state is kept for the life
/// of the process (an announcement cannot be withdrawn); "none" is trusted for
/// <see cref="CessationOptions.CheckInterval"/> only, so that an announcement on another node holds
/// here within that time without a store query on every request.
/// </summary>
public sealed class ServiceCessation(IServiceScopeFactory scopes, IOptions<CessationOptions> options, TimeProvider time)
{
    private volatile CessationState? known;
    private long checkedAt = long.MinValue;

    /// <summary>The announced end, or null when none is announced.</summary>
    public async Task<CessationState?> CurrentAsync(CancellationToken cancellationToken = default)
    {
        if (known is { CompletedAt: not null } done)
        {
            return done;
        }

        var now = time.GetUtcNow();
        if (now.UtcTicks - Interlocked.Read(ref checkedAt) < options.Value.CheckInterval.Ticks)
        {
            return known;
        }

        // A scope of its own: this singleton serves scoped intakes and the banner alike.
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        var state = await ReadAsync(db, cancellationToken);
        Remember(state, now);
        return state ?? known;
    }

    /// <summary>Reads the state from <paramref name="db"/>.</summary>
    internal static async Task<CessationState?> ReadAsync(PrivacyDbContext db, CancellationToken cancellationToken)
    {
        var row = await db.Set<CessationRecord>().AsNoTracking().OrderBy(c => c.AnnouncedAt).FirstOrDefaultAsync(cancellationToken);
        return row is null ? null : new CessationState(row.AnnouncedAt, row.CeaseAt, row.DeletionDueAt, row.CompletedAt);
    }

    /// <summary>Takes a state this node just wrote, so that it holds here at once.</summary>
    internal void Remember(CessationState? state, DateTimeOffset now)
    {
        if (state is not null)
        {
            known = state;
        }

        Interlocked.Exchange(ref checkedAt, now.UtcTicks);
    }
}
