using Konzen.Privacy.Collection;
using Konzen.Privacy.Policy;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Sharing;

/// <summary>The period of a dataset or report, [From, To), and its k (the policy's when null; never less).</summary>
public sealed record DatasetRequest(DateTimeOffset From, DateTimeOffset To, int? K = null);

/// <summary>
/// What an advertiser dataset holds: the de-identification reached, the SHA-256 of exactly the bytes
/// written, the subjects with at least one released row, the policy categories the file carries and the
/// purpose they were collected for. The disclosure gate records all of it.
/// </summary>
public sealed record AdvertiserDataset(DeidentificationResult Result, byte[] Sha256, IReadOnlyList<Guid> SubjectIds, IReadOnlyList<string> Categories, string Purpose);

/// <summary>
/// Builds the de-identified dataset an advertiser or advertising agent receives (S5.2): the advertising
/// log events of the period, of subjects who consented to <c>marketing.advertising.profiling</c> and are
/// adults now, as CSV with a per-recipient pseudonym, the generalized quasi-identifiers (age band,
/// location, time, device family), the event type and the page path, and nothing else. Classes with
/// fewer than k distinct subjects are suppressed. Streams to the caller's stream; does not decide whether
/// the recipient may have it (the disclosure gate does) and records nothing but the reads it made.
/// </summary>
public sealed class AdvertiserDatasets(
    AdvertisingPopulation population, RecipientPseudonyms pseudonyms, CompiledPolicy policy, IOptions<DeidentificationOptions> options)
{
    /// <summary>The purpose the events were collected for and the dataset serves.</summary>
    public const string Purpose = "marketing.advertising.profiling";

    private const int GeohashLength = 5;

    // The top levels of the age and device hierarchies (AdvertisingQuasiIdentifiers), where every value is *.
    private const int AgeTop = 4;
    private const int DeviceTop = 2;

    /// <summary>Writes the dataset for <paramref name="recipientId"/> to <paramref name="output"/>.</summary>
    public async Task<AdvertiserDataset> WriteAsync(string recipientId, DatasetRequest request, Stream output, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(recipientId);
        ArgumentNullException.ThrowIfNull(output);
        var k = SharingRequests.CheckRequest(policy, request);
        var key = await pseudonyms.KeyAsync(recipientId, ct);
        var actor = $"sharing:{recipientId}";
        var categories = SharingRequests.EventCategories(policy, Purpose);
        var types = EventVocabulary.Types.Where(t => categories.Contains(t.Value)).Select(t => t.Key).ToHashSet(StringComparer.Ordinal);

        var subjects = await population.EligibleAsync(Purpose, AdvertisingPopulation.AgeRangeCategory, actor, ct);
        var locations = await population.LocationsAsync(subjects, Purpose, request.To, GeohashLength, actor, ct);

        // The reads go on record on a second connection while the events are read (SQLite's async
        // calls complete synchronously, hence Task.Run); the file is written only once they are.
        var recording = Task.Run(() => population.RecordReadsAsync(ct), ct);
        var records = new AdvertisingRecords();
        var owner = new int[subjects.Count];
        Array.Fill(owner, -1);
        var deviceAt = new DateTimeOffset[subjects.Count];
        try
        {
            await population.ReadEventsAsync(subjects, Purpose, types, request.From, request.To, Add, ct);
        }
        finally
        {
            await recording;
        }

        void Add(AdvertisingEvent e)
        {
            if (owner[e.Owner] < 0)
            {
                var subject = subjects[e.Owner];
                owner[e.Owner] = records.AddSubject(RecipientPseudonyms.Pseudonym(key, subject.Id), subject.Age, locations[e.Owner], DeviceFamilies.Unknown);
            }

            // The device family comes from the subject's latest device event of the period.
            if (e.Type == "device" && e.At >= deviceAt[e.Owner])
            {
                deviceAt[e.Owner] = e.At;
                records.Devices[owner[e.Owner]] = DeviceFamilies.Family(e.Device);
            }

            records.AddEvent(owner[e.Owner], e.At, e.Type, e.Page);
        }

        var written = await AdvertiserCsv.WriteAsync(records, policy.Document.Minors.AdultAge, k, options.Value.MaxSuppression, output, ct);
        var released = new List<Guid>();
        for (var s = 0; s < subjects.Count; s++)
        {
            if (owner[s] >= 0 && written.KeptOwners[owner[s]])
            {
                released.Add(subjects[s].Id);
            }
        }

        // The categories the file carries: the age band and device columns unless generalized to *,
        // the location when some released row shows one, and the categories of the event types released.
        var carried = new SortedSet<string>(StringComparer.Ordinal);
        if (written.KeptOwners.Any(kept => kept))
        {
            if (written.Result.Levels[0] < AgeTop)
            {
                carried.Add(AdvertisingPopulation.AgeRangeCategory);
            }

            if (written.Result.Levels[3] < DeviceTop)
            {
                carried.Add("user.device");
            }
        }

        if (written.LocationShown)
        {
            carried.Add(AdvertisingPopulation.LocationCategory);
        }

        foreach (var type in written.TypesShown)
        {
            carried.Add(EventVocabulary.Types[EventVocabulary.TypeIndex(type)].Value);
        }

        return new AdvertiserDataset(written.Result, written.Sha256, released, [.. carried], Purpose);
    }
}

/// <summary>What advertiser datasets and measurement reports share: the request check and the categories.</summary>
internal static class SharingRequests
{
    /// <summary>The k to enforce; throws when the period is empty or k is below the policy's.</summary>
    public static int CheckRequest(CompiledPolicy policy, DatasetRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.From >= request.To)
        {
            throw new ArgumentException("The period must end after it starts.", nameof(request));
        }

        var policyK = policy.Document.Sharing.KAnonymity;
        var k = request.K ?? policyK;
        if (k < policyK)
        {
            throw new ArgumentOutOfRangeException(nameof(request), $"k must be at least the policy's {policyK}.");
        }

        return k;
    }

    /// <summary>
    /// The event categories a de-identified file for <paramref name="purpose"/> may carry: those the
    /// purpose may use that every recipient class receiving de-identified data for it may receive.
    /// </summary>
    public static HashSet<string> EventCategories(CompiledPolicy policy, string purpose)
    {
        var allowed = policy[policy.Purpose(purpose)].Categories.ToHashSet(StringComparer.Ordinal);
        foreach (var recipient in policy.Document.Sharing.Recipients.Where(r => r.Receives == RecipientData.DeIdentified && r.Purposes.Contains(purpose)))
        {
            allowed.IntersectWith(recipient.Categories);
        }

        return allowed;
    }
}
