using System.Buffers;
using System.Text.Json;
using Konzen.Privacy.Collection;
using Konzen.Privacy.Host.Consent;
using Konzen.Privacy.Host.Serve;
using Konzen.Privacy.Host.Subjects;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Collection;

/// <summary>A batch as the OpenAPI description shows it; the endpoint reads the body itself (see <see cref="EventsEndpoints"/>).</summary>
internal sealed record EventsBody(IReadOnlyList<EventBody> Events);

/// <summary>One event: type page-view|click|device|search, purpose security|analytics|personalization|advertising, time (ISO 8601), optional content.</summary>
internal sealed record EventBody(string Type, string Purpose, DateTimeOffset At, string? Page, string? Target, IReadOnlyDictionary<string, string>? Data);

/// <summary>What was done with a batch, counted per purpose alias.</summary>
internal sealed record EventsAccepted(int Received, int Stored, int Dropped, IReadOnlyDictionary<string, int> StoredByPurpose, IReadOnlyDictionary<string, int> DroppedByPurpose);

/// <summary>
/// Log-event intake from the SDK and the app (S1.5, S1.6): anyone may send, and what is kept depends
/// on who sent it. The actor is the signed-in subject (session cookie or bearer token), else the
/// visitor of the <c>konzen.visitor</c> cookie, else anonymous.
/// </summary>
internal static class EventsEndpoints
{
    /// <summary>The largest batch body: 1,000 events with ordinary pages and data fit well within 2 MiB.</summary>
    public const long MaxBodyBytes = 2 * 1024 * 1024;

    private static readonly string[] Schemes = [CookieAuthenticationDefaults.AuthenticationScheme, BearerTokenDefaults.AuthenticationScheme];

    public static RouteHandlerBuilder MapEventsEndpoints(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/v1/events", RecordAsync)
            .WithTags("Collection")
            .AllowAnonymous()
            .WithMetadata(new BodySizeLimit(MaxBodyBytes))
            .Accepts<EventsBody>("application/json")
            .WithSummary("Takes 1 to 1,000 log events; each is stored under a pseudonym only when the sender's consent allows its purpose, the rest are counted as dropped.");

    private static async Task<Results<Ok<EventsAccepted>, ProblemHttpResult>> RecordAsync(
        HttpContext context, EventIntake intake, CancellationToken cancellationToken)
    {
        var body = await ReadBodyAsync(context.Request, cancellationToken);
        List<EventInput> events;

        // One contiguous copy of the body (at most 2 MiB, pooled): the reader is much faster on a
        // single span than across the pipe's segments.
        var length = checked((int)body.Buffer.Length);
        var bytes = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            body.Buffer.CopyTo(bytes);
            context.Request.BodyReader.AdvanceTo(body.Buffer.End);
            var parsed = Parse(bytes.AsSpan(0, length));
            if (parsed.Error is { } error)
            {
                return Problems.Invalid("The batch has an invalid event; nothing of it was stored.", error.Field, error.Expected);
            }

            events = parsed.Events!;
        }
        catch (JsonException e)
        {
            return Problems.BadRequest(Problems.MalformedBody, "Malformed request body",
                $"The body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}); nothing of it was stored.");
        }
        finally
        {
            // Cleared: the body is personal data, and the pool hands the array to other requests.
            ArrayPool<byte>.Shared.Return(bytes, clearArray: true);
        }

        var actor = await ActorAsync(context);
        var result = await intake.RecordAsync(actor, events, VisitorCookie.GpcOn(context.Request), context.Connection.RemoteIpAddress, cancellationToken);
        if (result.Invalid is { } invalid)
        {
            var field = invalid.Index < 0 ? invalid.Field : $"events[{invalid.Index}].{invalid.Field}";
            return Problems.Invalid("The batch has an invalid event; nothing of it was stored.", field, invalid.Expected);
        }

        if (result.ServiceCeasing)
        {
            return Problems.Ceasing("The end of the service is announced: no log event is collected any more; nothing of the batch was stored.");
        }

        return TypedResults.Ok(new EventsAccepted(result.Received, result.Stored, result.Dropped, result.StoredByPurpose, result.DroppedByPurpose));
    }

    /// <summary>
    /// Who sent the request: the signed-in subject, else the visitor of the cookie, else anonymous. Endpoints
    /// that allow anonymous callers (this one, the ad decision) ask each scheme themselves instead of requiring one.
    /// </summary>
    internal static async Task<EventActor> ActorAsync(HttpContext context)
    {
        foreach (var scheme in Schemes)
        {
            var result = await context.AuthenticateAsync(scheme);
            if (result.Succeeded && SubjectsEndpoints.SubjectIdOf(result.Principal) is { } subjectId)
            {
                return EventActor.Subject(subjectId);
            }
        }

        return VisitorCookie.Read(context.Request) is { } visitorId ? EventActor.Visitor(visitorId) : EventActor.Anonymous;
    }

    private static async Task<System.IO.Pipelines.ReadResult> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await request.BodyReader.ReadAsync(cancellationToken);
            if (read.IsCompleted || read.IsCanceled)
            {
                return read;
            }

            // Not consumed, all examined: the next read returns the whole body so far plus more.
            request.BodyReader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private sealed record ParseError(string Field, string Expected);

    private readonly record struct Parsed(List<EventInput>? Events, ParseError? Error);

    /// <summary>
    /// Reads <c>{"events":[…]}</c> straight from the request's bytes with <see cref="Utf8JsonReader"/>:
    /// no intermediate document, and the vocabulary's words become the vocabulary's own strings. Fields
    /// the endpoint does not know are refused, as everywhere in the API; values are checked by the intake.
    /// </summary>
    private static Parsed Parse(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 8 });
        List<EventInput>? events = null;
        Read(ref reader);
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return Error("events", "A JSON object with an events array.");
        }

        while (Read(ref reader) == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("events"u8))
            {
                return Error(reader.GetString() ?? "body", "No such field; the body has only events.");
            }

            if (Read(ref reader) != JsonTokenType.StartArray)
            {
                return Error("events", "An array of events.");
            }

            events = new List<EventInput>(256);
            while (Read(ref reader) != JsonTokenType.EndArray)
            {
                if (events.Count >= EventIntake.MaxEvents)
                {
                    return Error("events", $"1 to {EventIntake.MaxEvents} events.");
                }

                if (ParseEvent(ref reader, events.Count, out var error) is not { } e)
                {
                    return new Parsed(null, error);
                }

                events.Add(e);
            }
        }

        return events is null ? Error("events", $"1 to {EventIntake.MaxEvents} events.") : new Parsed(events, null);
    }

    private static EventInput? ParseEvent(ref Utf8JsonReader reader, int index, out ParseError? error)
    {
        error = null;
        var field = $"events[{index}]";
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            error = new ParseError(field, "An event object.");
            return null;
        }

        string? type = null, purpose = null, page = null, target = null;
        DateTimeOffset? at = null;
        List<KeyValuePair<string, string>>? data = null;
        while (Read(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                type = Word(ref reader, EventVocabulary.Types);
            }
            else if (reader.ValueTextEquals("purpose"u8))
            {
                purpose = Word(ref reader, EventVocabulary.Purposes);
            }
            else if (reader.ValueTextEquals("at"u8))
            {
                if (Read(ref reader) != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var time))
                {
                    error = new ParseError($"{field}.at", "An ISO 8601 time with an offset, such as 2026-12-01T08:00:00Z.");
                    return null;
                }

                at = time;
            }
            else if (reader.ValueTextEquals("page"u8))
            {
                if (!Text(ref reader, out page))
                {
                    error = new ParseError($"{field}.page", "A string.");
                    return null;
                }
            }
            else if (reader.ValueTextEquals("target"u8))
            {
                if (!Text(ref reader, out target))
                {
                    error = new ParseError($"{field}.target", "A string.");
                    return null;
                }
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                if (Read(ref reader) == JsonTokenType.Null)
                {
                    continue;
                }

                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    error = new ParseError($"{field}.data", "An object of string values.");
                    return null;
                }

                data = [];
                while (Read(ref reader) == JsonTokenType.PropertyName)
                {
                    var key = reader.GetString()!;
                    if (Read(ref reader) != JsonTokenType.String)
                    {
                        error = new ParseError($"{field}.data", "An object of string values.");
                        return null;
                    }

                    data.Add(new(key, reader.GetString()!));
                }
            }
            else
            {
                error = new ParseError($"{field}.{reader.GetString()}", "No such field; an event has type, purpose, at, page, target and data.");
                return null;
            }
        }

        if (at is null)
        {
            error = new ParseError($"{field}.at", "An ISO 8601 time with an offset, such as 2026-12-01T08:00:00Z.");
            return null;
        }

        return new EventInput(type ?? string.Empty, purpose ?? string.Empty, at.Value, page, target, data);
    }

    /// <summary>A vocabulary word as the vocabulary's own string (no allocation), or whatever else was sent, for the intake to refuse.</summary>
    private static string Word(ref Utf8JsonReader reader, IReadOnlyList<KeyValuePair<string, string>> words)
    {
        if (Read(ref reader) != JsonTokenType.String)
        {
            return string.Empty;
        }

        foreach (var word in words)
        {
            if (reader.ValueTextEquals(word.Key))
            {
                return word.Key;
            }
        }

        return reader.GetString() ?? string.Empty;
    }

    /// <summary>Reads a string or null into <paramref name="value"/>; false for any other value.</summary>
    private static bool Text(ref Utf8JsonReader reader, out string? value)
    {
        var token = Read(ref reader);
        value = token == JsonTokenType.String ? reader.GetString() : null;
        return token is JsonTokenType.String or JsonTokenType.Null;
    }

    private static JsonTokenType Read(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw new JsonException("Unexpected end of the body.");

    private static Parsed Error(string field, string expected) => new(null, new ParseError(field, expected));
}
