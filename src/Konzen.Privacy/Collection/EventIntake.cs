using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Residency;
using Konzen.Privacy.Vault;

namespace Konzen.Privacy.Collection;

/// <summary>Who sent a batch of events.</summary>
public enum EventActorKind
{
    /// <summary>A signed-in subject.</summary>
    Subject,

    /// <summary>A visitor known by the first-party visitor cookie.</summary>
    Visitor,

    /// <summary>Neither: only necessary purposes may use what it sends.</summary>
    Anonymous,
}

/// <summary>The sender of a batch: a subject or visitor id, or nobody known.</summary>
public readonly record struct EventActor(EventActorKind Kind, Guid Id)
{
    public static EventActor Anonymous => new(EventActorKind.Anonymous, Guid.Empty);

    public static EventActor Subject(Guid subjectId) => new(EventActorKind.Subject, subjectId);

    public static EventActor Visitor(Guid visitorId) => new(EventActorKind.Visitor, visitorId);
}

/// <summary>
/// One event as a client reports it: <paramref name="Type"/> page-view|click|device|search,
/// <paramref name="Purpose"/> security|analytics|personalization|advertising (see <see cref="EventVocabulary"/>),
/// when it happened, and optional content.
/// </summary>
public sealed record EventInput(
    string Type,
    string Purpose,
    DateTimeOffset At,
    string? Page = null,
    string? Target = null,
    IReadOnlyList<KeyValuePair<string, string>>? Data = null);

/// <summary>The first thing wrong in a batch: the event's index, the field, and what was expected.</summary>
public sealed record EventFieldError(int Index, string Field, string Expected);

/// <summary>
/// What became of a batch: how many events came, were stored and were dropped by the purpose gate,
/// per purpose alias; or, when <see cref="Invalid"/> is set, nothing was stored because the batch is malformed.
/// </summary>
public sealed record EventIntakeResult(
    int Received,
    int Stored,
    int Dropped,
    IReadOnlyDictionary<string, int> StoredByPurpose,
    IReadOnlyDictionary<string, int> DroppedByPurpose,
    EventFieldError? Invalid = null,
    bool ServiceCeasing = false)
{
    public bool Valid => Invalid is null;
}

/// <summary>
/// Takes batches of log events (S1.5, S1.6). The whole batch is checked first: one malformed event and
/// nothing of the batch is stored. Then each event goes through the purpose gate for the actor's
/// consent state (with <c>Sec-GPC: 1</c> the signal's refusals first); what the gate refuses is dropped
/// before storage and only counted. What it allows is stored under the actor's pseudonym for the
/// current period, its content sealed, the sender's address truncated and kept only where the gate
/// allows the purpose the IP address category. The call returns once the events are committed.
/// </summary>
public sealed class EventIntake(
    CompiledPolicy policy,
    ConsentLedger ledger,
    GlobalPrivacyControl gpc,
    SubjectKeys keys,
    EpochKeys epochs,
    EventWriter writer,
    ResidencyGuard residency,
    TimeProvider time,
    Cessation.ServiceCessation cessation)
{
    /// <summary>The most events one batch may carry.</summary>
    public const int MaxEvents = 1000;

    /// <summary>A client clock may run this far ahead of ours.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    public const int MaxPageLength = 2048;
    public const int MaxTargetLength = 1024;
    public const int MaxDataEntries = 32;
    public const int MaxDataKeyLength = 64;
    public const int MaxDataValueLength = 1024;

    private static readonly string[] Aliases = [.. EventVocabulary.Purposes.Select(p => p.Key)];

    /// <summary>Checks, gates and stores a batch; see the class remarks.</summary>
    /// <param name="actor">Who sent it.</param>
    /// <param name="events">1 to <see cref="MaxEvents"/> events.</param>
    /// <param name="globalPrivacyControl">Whether the request carried <c>Sec-GPC: 1</c>.</param>
    /// <param name="address">The sender's address, or null; only its truncated network is ever stored.</param>
    /// <param name="cancellationToken">Stops waiting; a batch already handed to the writer may still be committed.</param>
    public async Task<EventIntakeResult> RecordAsync(
        EventActor actor,
        IReadOnlyList<EventInput> events,
        bool globalPrivacyControl,
        IPAddress? address,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var now = time.GetUtcNow();
        if (Validate(events, now) is { } invalid)
        {
            return new EventIntakeResult(events.Count, 0, 0, Counts(new int[Aliases.Length]), Counts(new int[Aliases.Length]), invalid);
        }

        // Once the end of the service is announced no log event is collected (S2.5): the whole batch is
        // refused, counted as dropped, before any pseudonym or key is made for it.
        if (await cessation.CurrentAsync(cancellationToken) is not null)
        {
            return new EventIntakeResult(events.Count, 0, events.Count, Counts(new int[Aliases.Length]), Counts(new int[Aliases.Length]), ServiceCeasing: true);
        }

        var state = await StateAsync(actor, cancellationToken);

        // The writer bypasses EF Core and its residency backstop, so the guard is asked here (S2.3).
        if (actor.Kind != EventActorKind.Anonymous && state.Region != RegionId.Undeclared)
        {
            residency.EnsureWritable(state.Region);
        }

        if (globalPrivacyControl)
        {
            state = gpc.Apply(state);
        }

        // Four purposes by four types: every decision of the batch, made once.
        var purposeIds = EventVocabulary.Purposes.Select(p => policy.Purpose(p.Value)).ToArray();
        var categoryIds = EventVocabulary.Types.Select(t => policy.Category(t.Value)).ToArray();
        var ipCategory = policy.Category(EventVocabulary.IpCategory);
        var allowed = new bool[purposeIds.Length, categoryIds.Length];
        var ipAllowed = new bool[purposeIds.Length];
        for (var p = 0; p < purposeIds.Length; p++)
        {
            ipAllowed[p] = policy.Decide(state, ipCategory, purposeIds[p]).Allowed;
            for (var c = 0; c < categoryIds.Length; c++)
            {
                allowed[p, c] = policy.Decide(state, categoryIds[c], purposeIds[p]).Allowed;
            }
        }

        var stored = new int[Aliases.Length];
        var dropped = new int[Aliases.Length];
        var kept = new List<(EventInput Event, int Purpose, int Type)>(events.Count);
        foreach (var e in events)
        {
            var p = EventVocabulary.PurposeIndex(e.Purpose);
            var t = EventVocabulary.TypeIndex(e.Type);
            if (allowed[p, t])
            {
                stored[p]++;
                kept.Add((e, p, t));
            }
            else
            {
                dropped[p]++;
            }
        }

        var epoch = await epochs.CurrentAsync(cancellationToken);
        var pseudonym = Pseudonym(epoch.Key, actor);
        var rows = new EventRow[kept.Count];
        if (kept.Count > 0)
        {
            var ip = IpTruncation.Truncate(address);
            using var seal = actor.Kind == EventActorKind.Subject
                ? EventSeal.ForSubject(await keys.GetOrCreateAsync(actor.Id, cancellationToken), actor.Id)
                : EventSeal.ForEpoch(epoch.Key, epoch.Epoch);
            var buffer = new ArrayBufferWriter<byte>(256);
            using var json = new Utf8JsonWriter(buffer);
            for (var i = 0; i < kept.Count; i++)
            {
                var (e, p, t) = kept[i];
                var purposeKey = EventVocabulary.Purposes[p].Value;
                var categoryKey = EventVocabulary.Types[t].Value;
                var type = EventVocabulary.Types[t].Key;
                var at = WholeSeconds(e.At);
                buffer.ResetWrittenCount();
                json.Reset(buffer);
                WritePayload(json, e);
                var payload = seal.Seal(buffer.WrittenSpan, new EventAad(pseudonym, purposeKey, categoryKey, type, at.ToUnixTimeSeconds()));
                rows[i] = new EventRow(purposeKey, categoryKey, type, at, ipAllowed[p] ? ip : null, payload);
            }

            // The plaintext of the last event stays in the buffer otherwise.
            buffer.Clear();
        }

        var storedCount = kept.Count;
        var detail = $"received {events.Count}, stored {storedCount}, dropped {events.Count - storedCount}; {Describe(stored, dropped)}";
        var audit = new AuditRecord(
            actor.Kind switch { EventActorKind.Subject => $"subject:{actor.Id}", EventActorKind.Visitor => "visitor", _ => "anonymous" },
            "events.recorded",
            actor.Kind == EventActorKind.Subject ? actor.Id : null,
            Detail: detail);
        await writer.WriteAsync(new EventBatch(epoch.Epoch, pseudonym, actor.Kind == EventActorKind.Subject, now, rows, audit), cancellationToken);
        return new EventIntakeResult(events.Count, storedCount, events.Count - storedCount, Counts(stored), Counts(dropped));
    }

    /// <summary>
    /// HMAC-SHA256 under the period's key of the actor's kind and id: the same actor gets the same
    /// pseudonym within a period and an unrelated one in the next. Every anonymous caller shares one.
    /// </summary>
    internal static byte[] Pseudonym(ReadOnlySpan<byte> epochKey, EventActor actor)
    {
        Span<byte> input = stackalloc byte[17];
        input[0] = actor.Kind switch { EventActorKind.Subject => (byte)'s', EventActorKind.Visitor => (byte)'v', _ => (byte)'a' };
        (actor.Kind == EventActorKind.Anonymous ? Guid.Empty : actor.Id).TryWriteBytes(input[1..], bigEndian: true, out _);
        return HMACSHA256.HashData(epochKey, input);
    }

    private async ValueTask<SubjectState> StateAsync(EventActor actor, CancellationToken cancellationToken)
    {
        if (actor.Kind == EventActorKind.Anonymous)
        {
            return policy.Subject();
        }

        var state = await ledger.GetStateAsync(actor.Id, cancellationToken);

        // A visitor the ledger does not know (no choice recorded yet, or a cookie from elsewhere) is an
        // anonymous caller: no consents, homed here, so its necessary events are still taken. A subject
        // the ledger does not know is refused everything: a session for a deleted account must not write.
        return actor.Kind == EventActorKind.Visitor && state.Region == RegionId.Undeclared ? policy.Subject() : state;
    }

    private EventFieldError? Validate(IReadOnlyList<EventInput> events, DateTimeOffset now)
    {
        if (events.Count is 0 or > MaxEvents)
        {
            return new EventFieldError(-1, "events", $"1 to {MaxEvents} events.");
        }

        for (var i = 0; i < events.Count; i++)
        {
            if (Check(events[i], now) is { } error)
            {
                return error with { Index = i };
            }
        }

        return null;
    }

    private EventFieldError? Check(EventInput? e, DateTimeOffset now)
    {
        if (e is null)
        {
            return new EventFieldError(0, string.Empty, "An event object.");
        }

        var type = EventVocabulary.TypeIndex(e.Type);
        if (type < 0)
        {
            return new EventFieldError(0, "type", "page-view, click, device or search.");
        }

        if (EventVocabulary.PurposeIndex(e.Purpose) < 0)
        {
            return new EventFieldError(0, "purpose", "security, analytics, personalization or advertising.");
        }

        // An event already past its category's retention would be due for deletion on arrival.
        var expires = policy[policy.Category(EventVocabulary.Types[type].Value)].Retention.ExpiresAt(e.At);
        if (e.At > now + ClockSkew || expires <= now)
        {
            return new EventFieldError(0, "at", "An ISO 8601 time no more than 5 minutes ahead and within the category's retention.");
        }

        if (e.Page is { Length: > MaxPageLength })
        {
            return new EventFieldError(0, "page", $"At most {MaxPageLength} characters.");
        }

        if (e.Target is { Length: > MaxTargetLength })
        {
            return new EventFieldError(0, "target", $"At most {MaxTargetLength} characters.");
        }

        if (e.Data is { } data)
        {
            if (data.Count > MaxDataEntries)
            {
                return new EventFieldError(0, "data", $"At most {MaxDataEntries} entries.");
            }

            foreach (var (key, value) in data)
            {
                if (string.IsNullOrEmpty(key) || key.Length > MaxDataKeyLength || value is null || value.Length > MaxDataValueLength)
                {
                    return new EventFieldError(0, "data", $"Keys of 1 to {MaxDataKeyLength} characters with string values of at most {MaxDataValueLength}.");
                }
            }
        }

        return null;
    }

    private static void WritePayload(Utf8JsonWriter json, EventInput e)
    {
        json.WriteStartObject();
        if (e.Page is not null)
        {
            json.WriteString("page", e.Page);
        }

        if (e.Target is not null)
        {
            json.WriteString("target", e.Target);
        }

        if (e.Data is { Count: > 0 } data)
        {
            json.WriteStartObject("data");
            foreach (var (key, value) in data)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.Flush();
    }

    private static DateTimeOffset WholeSeconds(DateTimeOffset at) =>
        new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    private static Dictionary<string, int> Counts(int[] counts)
    {
        var result = new Dictionary<string, int>(counts.Length, StringComparer.Ordinal);
        for (var i = 0; i < counts.Length; i++)
        {
            result[Aliases[i]] = counts[i];
        }

        return result;
    }

    private static string Describe(int[] stored, int[] dropped) =>
        string.Join(", ", Aliases.Select((alias, i) => $"{alias} {stored[i]}/{stored[i] + dropped[i]}"));
}
