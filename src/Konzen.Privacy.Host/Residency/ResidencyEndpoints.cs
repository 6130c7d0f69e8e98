using System.Security.Claims;
using Konzen.Privacy.Host.Subjects;
using Konzen.Privacy.Residency;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Residency;

/// <summary>A notice as shown: its text and the hash a consent must name.</summary>
internal sealed record NoticeView(string Text, string Hash);

/// <summary>The subject's current choice; <see cref="Current"/> is false once the notice it names has changed.</summary>
internal sealed record TransferConsentView(bool Granted, string? NoticeHash, string? Language, DateTimeOffset At, bool Current);

/// <summary>A declared transfer, its notice in every language (keyed <c>en</c>, <c>zh-CN</c>) and the subject's consent (null: never decided).</summary>
internal sealed record TransferView(
    string Id,
    string ToRegion,
    string Recipient,
    IReadOnlyList<string> Purposes,
    IReadOnlyList<string> Categories,
    IReadOnlyDictionary<string, NoticeView> Notice,
    TransferConsentView? Consent);

/// <summary><see cref="Granted"/>: true to consent, false to withdraw; <see cref="NoticeHash"/>: the hash of the notice shown, required to consent.</summary>
internal sealed record TransferConsentBody(bool? Granted, string? NoticeHash);

/// <summary>The signed-in subject's separate consents to the cross-border transfers the policy declares (S2.4).</summary>
internal static class ResidencyEndpoints
{
    public const string UnknownTransfer = "urn:konzen:problem:unknown-transfer";
    public const string NoticeOutdated = "urn:konzen:problem:notice-outdated";

    public static RouteGroupBuilder MapResidencyEndpoints(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/v1/me").WithTags("Residency").RequireAuthorization(SubjectsEndpoints.SubjectPolicy);
        me.MapGet("/transfers", ListAsync)
            .WithSummary("Every cross-border transfer the policy declares, with its notice in English and Simplified Chinese and the subject's consent; empty when the policy declares none.");
        me.MapPut("/transfers/{id}", RecordAsync)
            .WithSummary("Consents to (granted: true, with the hash of the notice shown) or withdraws from (granted: false) one declared transfer.");
        return me;
    }

    private static async Task<Results<Ok<IReadOnlyList<TransferView>>, NotFound>> ListAsync(
        ClaimsPrincipal user, TransferGate gate, TransferNotices notices, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        var consents = await gate.GetConsentsAsync(subjectId, cancellationToken);
        IReadOnlyList<TransferView> transfers = [.. notices.All.Select(t => View(t, consents.GetValueOrDefault(t.Id)))];
        return TypedResults.Ok(transfers);
    }

    private static async Task<Results<Ok<TransferView>, ProblemHttpResult, NotFound>> RecordAsync(
        string id, TransferConsentBody body, ClaimsPrincipal user, TransferGate gate, TransferNotices notices, CancellationToken cancellationToken)
    {
        if (SubjectsEndpoints.SubjectIdOf(user) is not { } subjectId)
        {
            return TypedResults.NotFound();
        }

        if (body.Granted is not { } granted)
        {
            return Problems.Invalid("The transfer consent has invalid fields.", "granted", "Expected true (consent) or false (withdraw).");
        }

        var change = await gate.RecordConsentAsync(subjectId, id, granted, body.NoticeHash, $"subject:{subjectId}", cancellationToken);
        return change.Refusal switch
        {
            TransferConsentRefusal.None => TypedResults.Ok(View(notices.Find(id)!, change.Status)),
            TransferConsentRefusal.UnknownTransfer => TypedResults.Problem(
                "The policy declares no cross-border transfer with this id; GET /api/v1/me/transfers lists the declared ones.",
                statusCode: StatusCodes.Status404NotFound, title: "Unknown transfer", type: UnknownTransfer),
            TransferConsentRefusal.NoticeOutdated => TypedResults.Problem(
                "A consent must name the hash of the transfer's current notice (from GET /api/v1/me/transfers); this one does not, so nothing was recorded.",
                statusCode: StatusCodes.Status409Conflict, title: "Notice outdated", type: NoticeOutdated),
            _ => TypedResults.NotFound(),
        };
    }

    private static TransferView View(DeclaredTransfer transfer, TransferConsentStatus? consent) =>
        new(transfer.Id,
            transfer.Transfer.ToRegion,
            transfer.Transfer.Recipient,
            transfer.Transfer.Purposes,
            transfer.Transfer.Categories,
            new Dictionary<string, NoticeView>(StringComparer.Ordinal)
            {
                ["en"] = new(transfer.En.Text, transfer.En.Hash),
                ["zh-CN"] = new(transfer.ZhCn.Text, transfer.ZhCn.Hash),
            },
            consent is null ? null : new TransferConsentView(consent.Granted, consent.NoticeHash, consent.Language, consent.At, consent.Current));
}
