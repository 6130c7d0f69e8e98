using System.Security.Claims;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Host.Staff;
using Konzen.Privacy.Host.Subjects;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Notices;

internal sealed record NotificationLanguageBody(string? Language);

internal sealed record NotificationCountView(NotificationChannel Channel, NotificationStatus Status, int Count);

/// <summary>
/// The subject's in-app notifications (<c>/api/v1/me/notifications</c>) and the staff's counts of the
/// outbox (<c>/api/v1/admin/notifications/summary</c>), which show no content and no subject.
/// </summary>
internal static class NotificationsEndpoints
{
    public static RouteGroupBuilder MapNotificationsEndpoints(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/v1/me/notifications").WithTags("Notices").RequireAuthorization(SubjectsEndpoints.SubjectPolicy);
        me.MapGet("/", ListAsync).WithSummary("The signed-in subject's in-app notifications, newest first (at most 100), in the language each was written in.");
        me.MapPost("/{id:guid}/read", ReadAsync).WithSummary("Marks one of the subject's notifications read; another subject's is a 404.");
        me.MapPut("/language", LanguageAsync).WithSummary("{language: en|zh-CN}: the language of the subject's future notifications (English until chosen).");

        var admin = app.MapGroup("/api/v1/admin/notifications").WithTags("Notices").RequireAuthorization(StaffAuthentication.Policy);
        admin.MapGet("/summary", SummaryAsync).WithSummary("How many notifications are pending, sent and failed on each channel; no content.");
        return me;
    }

    private static async Task<Results<Ok<IReadOnlyList<NotificationView>>, NotFound>> ListAsync(
        ClaimsPrincipal user, NotificationOutbox outbox, CancellationToken cancellationToken) =>
        SubjectsEndpoints.SubjectIdOf(user) is { } subjectId
            ? TypedResults.Ok(await outbox.InAppAsync(subjectId, cancellationToken))
            : TypedResults.NotFound();

    private static async Task<Results<NoContent, NotFound>> ReadAsync(
        Guid id, ClaimsPrincipal user, NotificationOutbox outbox, CancellationToken cancellationToken) =>
        SubjectsEndpoints.SubjectIdOf(user) is { } subjectId && await outbox.MarkReadAsync(subjectId, id, cancellationToken)
            ? TypedResults.NoContent()
            : TypedResults.NotFound();

    private static async Task<Results<NoContent, ProblemHttpResult, NotFound>> LanguageAsync(
        NotificationLanguageBody body, ClaimsPrincipal user, NotificationOutbox outbox, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        if (!PolicyLanguages.TryParse(body.Language, out var language))
        {
            return Problems.Invalid("Unknown language.", "language", "en|zh-CN");
        }

        await outbox.SetLanguageAsync(subjectId, language, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<IReadOnlyList<NotificationCountView>>> SummaryAsync(
        ClaimsPrincipal user, NotificationOutbox outbox, PrivacyDbContext db, AuditLog audit, CancellationToken cancellationToken)
    {
        var counts = await outbox.SummaryAsync(cancellationToken);
        await audit.SaveChangesAsync(db, new AuditRecord(StaffAuthentication.ActorOf(user), "notifications.summary-viewed"), cancellationToken);
        return TypedResults.Ok<IReadOnlyList<NotificationCountView>>([.. counts.Select(c => new NotificationCountView(c.Channel, c.Status, c.Count))]);
    }
}
