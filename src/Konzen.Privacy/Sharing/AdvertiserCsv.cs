using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Konzen.Privacy.Sharing;

/// <summary>What a written dataset holds: which subjects have a released row, whether a location shows, which event types.</summary>
internal sealed record WrittenDataset(DeidentificationResult Result, byte[] Sha256, bool[] KeptOwners, bool LocationShown, IReadOnlySet<string> TypesShown);

/// <summary>
/// Writes an advertiser dataset: the rows are generalized and suppressed by the engine, then streamed
/// as CSV (UTF-8, RFC 4180) with exactly the columns in <see cref="Header"/>, and hashed as written.
/// Nothing else reaches the file: no subject id, contact, IP, cookie, visitor or event id.
/// </summary>
internal static class AdvertiserCsv
{
    /// <summary>The columns, in order.</summary>
    public static readonly string[] Header = ["pseudonym", "age", "location", "time", "device", "event_type", "page"];

    private const int FlushBytes = 1 << 16;

    public static async Task<WrittenDataset> WriteAsync(
        AdvertisingRecords records, int adultAge, int k, double maxSuppression, Stream output, CancellationToken cancellationToken)
    {
        var qis = new AdvertisingQuasiIdentifiers(adultAge);
        var rows = records.Rows;
        int[] age = new int[rows], location = new int[rows], time = new int[rows], device = new int[rows];

        // Codes per subject once; rows copy their subject's.
        var subjectAge = new int[records.Subjects];
        var subjectLocation = new int[records.Subjects];
        var subjectDevice = new int[records.Subjects];
        for (var s = 0; s < records.Subjects; s++)
        {
            subjectAge[s] = qis.AgeCode(records.Ages[s]);
            subjectLocation[s] = qis.LocationCode(records.Locations[s]);
            subjectDevice[s] = qis.DeviceCode(records.Devices[s]);
        }

        var owners = records.Owners.ToArray();
        for (var r = 0; r < rows; r++)
        {
            var owner = owners[r];
            age[r] = subjectAge[owner];
            location[r] = subjectLocation[owner];
            device[r] = subjectDevice[owner];
            time[r] = qis.TimeCode(records.Times[r]);
        }

        var plan = DeidentificationEngine.Solve(qis.All, [age, location, time, device], owners, k, maxSuppression);
        var levels = plan.Result.Levels;
        var keptOwners = new bool[records.Subjects];
        var typesShown = new SortedSet<string>(StringComparer.Ordinal);
        var locationShown = false;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var line = new StringBuilder(256);
        var buffer = new ArrayBufferWriter<byte>(FlushBytes + 4096);
        line.AppendJoin(',', Header).Append("\r\n");
        Append(buffer, line);
        for (var r = 0; r < rows; r++)
        {
            if (!plan.Keeps(r))
            {
                continue;
            }

            keptOwners[owners[r]] = true;
            typesShown.Add(records.Types[r]);
            var shownLocation = qis.Location.Label(location[r], levels[1]);
            locationShown |= shownLocation != QuasiIdentifier.Suppressed;
            line.Clear();
            Escape(line, records.Pseudonyms[owners[r]]);
            line.Append(',');
            Escape(line, qis.Age.Label(age[r], levels[0]));
            line.Append(',');
            Escape(line, shownLocation);
            line.Append(',');
            Escape(line, qis.Time.Label(time[r], levels[2]));
            line.Append(',');
            Escape(line, qis.Device.Label(device[r], levels[3]));
            line.Append(',');
            Escape(line, records.Types[r]);
            line.Append(',');
            Escape(line, records.PageValues[records.Pages[r]]);
            line.Append("\r\n");
            Append(buffer, line);
            if (buffer.WrittenCount >= FlushBytes)
            {
                await FlushAsync(buffer, hash, output, cancellationToken);
            }
        }

        await FlushAsync(buffer, hash, output, cancellationToken);
        await output.FlushAsync(cancellationToken);
        return new WrittenDataset(plan.Result, hash.GetHashAndReset(), keptOwners, locationShown, typesShown);
    }

    private static void Append(ArrayBufferWriter<byte> buffer, StringBuilder line)
    {
        foreach (var chunk in line.GetChunks())
        {
            var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(chunk.Length));
            buffer.Advance(Encoding.UTF8.GetBytes(chunk.Span, span));
        }
    }

    private static async Task FlushAsync(ArrayBufferWriter<byte> buffer, IncrementalHash hash, Stream output, CancellationToken cancellationToken)
    {
        // The hash covers exactly the bytes handed to the stream, in order.
        hash.AppendData(buffer.WrittenSpan);
        await output.WriteAsync(buffer.WrittenMemory, cancellationToken);
        buffer.ResetWrittenCount();
    }

    /// <summary>
    /// RFC 4180: a cell with a comma, quote or line break is quoted, quotes doubled; a cell a spreadsheet
    /// would run as a formula (starting with = + - @) gets a leading apostrophe inside quotes.
    /// </summary>
    internal static void Escape(StringBuilder builder, string value)
    {
        var formula = value.Length > 0 && value[0] is '=' or '+' or '-' or '@';
        if (!formula && value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            builder.Append(value);
            return;
        }

        builder.Append('"');
        if (formula)
        {
            builder.Append('\'');
        }

        builder.Append(value.Replace("\"", "\"\"", StringComparison.Ordinal));
        builder.Append('"');
    }
}
