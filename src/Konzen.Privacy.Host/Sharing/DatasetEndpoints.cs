using System.Globalization;
using System.Security.Claims;
using Konzen.Privacy.Host.Staff;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Sharing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Konzen.Privacy.Host.Sharing;

/// <summary>The period of an advertiser dataset or measurement report, [from, to), and its k (the policy's when absent; never less).</summary>
internal sealed record PeriodBody(DateTimeOffset? From, DateTimeOffset? To, int? K);

/// <summary>
/// What advertisers and their agents receive (S5.2, S4.6): a de-identified, k-anonymous dataset or an
/// aggregate measurement report, each built for one recipient and sent only once the disclosure gate has
/// recorded it under the de-identified basis, with the hash of exactly the bytes sent.
/// </summary>
internal static class DatasetEndpoints
{
    public const string NothingToRelease = "urn:konzen:problem:nothing-to-release";

    /// <summary>The k every equivalence class of the file reaches.</summary>
    public const string KHeader = "Konzen-K";

    public const string RowsHeader = "Konzen-Rows";

    public const string SuppressedRowsHeader = "Konzen-Suppressed-Rows";

    /// <summary>The dataset's information loss in [0, 1] (see <see cref="DeidentificationEngine"/>).</summary>
    public const string InformationLossHeader = "Konzen-Information-Loss";

    public const string SuppressedCellsHeader = "Konzen-Suppressed-Cells";

    private const int MaxK = 1000;
    private const int MaxPeriodDays = 366;

    public static RouteGroupBuilder MapDatasetEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/v1/admin/recipients/{id}").WithTags("Sharing").RequireAuthorization(StaffAuthentication.Policy);
        admin.MapPost("/datasets", DatasetAsync)
            .WithSummary("Builds the recipient's de-identified advertiser dataset of a period (CSV) and sends it once the disclosure gate recorded it.");
        admin.MapPost("/measurements", MeasurementAsync)
            .WithSummary("Builds an aggregate advertising measurement report of a period (CSV, cells under k suppressed) and sends it once the disclosure gate recorded it.");
        return admin;
    }

    /// <summary>
    /// The dataset goes to a temporary file that only this request holds and that is deleted when closed:
    /// its hash must be on record before its first byte leaves, and a million rows do not belong in memory.
    /// </summary>
    private static async Task<IResult> DatasetAsync(
        string id, PeriodBody body, ClaimsPrincipal user, Recipients recipients, AdvertiserDatasets datasets, DisclosureGate gate, CompiledPolicy policy,
        CancellationToken cancellationToken)
    {
        if (await RefusedInputAsync(id, body, recipients, policy, cancellationToken) is { } refused)
        {
            return refused;
        }

        var file = new FileStream(
            Path.Combine(Path.GetTempPath(), $"konzen-dataset-{Guid.NewGuid():N}.csv"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None,
            1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            var dataset = await datasets.WriteAsync(id, new DatasetRequest(body.From!.Value, body.To!.Value, body.K), file, cancellationToken);
            var result = dataset.Result;
            if (dataset.SubjectIds.Count == 0)
            {
                await file.DisposeAsync();
                return Nothing($"No row of the period could be released {result.K}-anonymous; nothing was disclosed.");
            }

            var decision = await gate.DiscloseAsync(
                new DisclosureRequest(id, DisclosureBasis.DeIdentified, dataset.Purpose, dataset.Categories, dataset.SubjectIds, dataset.Sha256, result.K,
                    Actor: StaffAuthentication.ActorOf(user),
                    Description: string.Create(CultureInfo.InvariantCulture, $"advertiser dataset: {result.Rows} rows, {result.Suppressed} suppressed, information loss {result.InformationLoss:F4}")),
                cancellationToken);
            if (!decision.Allowed)
            {
                await file.DisposeAsync();
                return SharingEndpoints.Refused(decision);
            }

            file.Position = 0;
            return new DisclosedResult(file, "text/csv; charset=utf-8", decision.DisclosureId!.Value, dataset.Sha256,
            [
                new(KHeader, Invariant(result.K)),
                new(RowsHeader, Invariant(result.Rows - result.Suppressed)),
                new(SuppressedRowsHeader, Invariant(result.Suppressed)),
                new(InformationLossHeader, result.InformationLoss.ToString("F4", CultureInfo.InvariantCulture)),
            ]);
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    private static async Task<IResult> MeasurementAsync(
        string id, PeriodBody body, ClaimsPrincipal user, Recipients recipients, AdMeasurement measurement, DisclosureGate gate, CompiledPolicy policy,
        CancellationToken cancellationToken)
    {
        if (await RefusedInputAsync(id, body, recipients, policy, cancellationToken) is { } refused)
        {
            return refused;
        }

        var report = await measurement.ReportAsync(new DatasetRequest(body.From!.Value, body.To!.Value, body.K), cancellationToken);
        if (report.SubjectIds.Count == 0)
        {
            return Nothing($"No cell of the period has {report.K} subjects or more; nothing was disclosed.");
        }

        var decision = await gate.DiscloseAsync(
            new DisclosureRequest(id, DisclosureBasis.DeIdentified, report.Purpose, report.Categories, report.SubjectIds, report.Sha256, report.K,
                Actor: StaffAuthentication.ActorOf(user),
                Description: string.Create(CultureInfo.InvariantCulture, $"advertising measurement: {report.Cells.Count} cells, {report.SuppressedCells} suppressed")),
            cancellationToken);
        if (!decision.Allowed)
        {
            return SharingEndpoints.Refused(decision);
        }

        return new DisclosedResult(new MemoryStream(AdMeasurement.ToCsv(report.Cells)), "text/csv; charset=utf-8", decision.DisclosureId!.Value, report.Sha256,
        [
            new(KHeader, Invariant(report.K)),
            new(SuppressedCellsHeader, Invariant(report.SuppressedCells)),
        ]);
    }

    /// <summary>
    /// A problem for a malformed period or an unknown recipient, checked before anything is read, so that
    /// bad input neither reads anyone's data nor gives an unknown id a pseudonym key.
    /// </summary>
    private static async Task<ProblemHttpResult?> RefusedInputAsync(
        string id, PeriodBody body, Recipients recipients, CompiledPolicy policy, CancellationToken cancellationToken)
    {
        if (Invalid(body, policy) is { } invalid)
        {
            return invalid;
        }

        return await recipients.FindAsync(id, cancellationToken) is null ? SharingEndpoints.UnknownRecipient() : null;
    }

    private static ProblemHttpResult? Invalid(PeriodBody body, CompiledPolicy policy)
    {
        var k = policy.Document.Sharing.KAnonymity;
        if (body.From is not { } from || body.To is not { } to || from >= to || to - from > TimeSpan.FromDays(MaxPeriodDays))
        {
            return Problems.Invalid("The period has invalid fields.", "to", $"'from' and 'to' as ISO 8601 times, 'from' before 'to', at most {MaxPeriodDays} days apart.");
        }

        return body.K < k || body.K > MaxK
            ? Problems.Invalid("k is out of range.", "k", $"A number from the policy's k ({Invariant(k)}) to {Invariant(MaxK)}.")
            : null;
    }

    private static ProblemHttpResult Nothing(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Nothing to release", type: NothingToRelease);

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
