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
        var buffer = new ArrayBufferWriter<byte>(FlushBytes + 4096);
        Write(buffer, [.. Header.Select(Cell)]);

        // A million rows repeat a few thousand distinct cells: each is escaped and encoded once.
        var ageCells = new Cells(qis.Age, levels[0]);
        var locationCells = new Cells(qis.Location, levels[1]);
        var timeCells = new Cells(qis.Time, levels[2]);
        var deviceCells = new Cells(qis.Device, levels[3]);
        var pseudonymCells = new byte[records.Subjects][];
        var pageCells = new byte[records.PageValues.Count][];
        var typeCells = new Dictionary<string, byte[]>(ReferenceEqualityComparer.Instance);
        var row = new byte[7][];
        for (var r = 0; r < rows; r++)
        {
            if (!plan.Keeps(r))
            {
                continue;
            }

            var owner = owners[r];
            keptOwners[owner] = true;
            var type = records.Types[r];
            if (!typeCells.TryGetValue(type, out var typeCell))
            {
                typesShown.Add(type);
                typeCells[type] = typeCell = Cell(type);
            }

            locationShown |= qis.Location.Label(location[r], levels[1]) != QuasiIdentifier.Suppressed;
            row[0] = pseudonymCells[owner] ??= Cell(records.Pseudonyms[owner]);
            row[1] = ageCells[age[r]];
            row[2] = locationCells[location[r]];
            row[3] = timeCells[time[r]];
            row[4] = deviceCells[device[r]];
            row[5] = typeCell;
            row[6] = pageCells[records.Pages[r]] ??= Cell(records.PageValues[records.Pages[r]]);
            Write(buffer, row);
            if (buffer.WrittenCount >= FlushBytes)
            {
                await FlushAsync(buffer, hash, output, cancellationToken);
            }
        }

        await FlushAsync(buffer, hash, output, cancellationToken);
        await output.FlushAsync(cancellationToken);
        return new WrittenDataset(plan.Result, hash.GetHashAndReset(), keptOwners, locationShown, typesShown);
    }

    // One CSV line: the cells, comma-separated, ended by CRLF.
    private static void Write(ArrayBufferWriter<byte> buffer, byte[][] cells)
    {
        var length = cells.Length + 1;
        foreach (var cell in cells)
        {
            length += cell.Length;
        }

        var span = buffer.GetSpan(length);
        var at = 0;
        for (var i = 0; i < cells.Length; i++)
        {
            if (i > 0)
            {
                span[at++] = (byte)',';
            }

            cells[i].CopyTo(span[at..]);
            at += cells[i].Length;
        }

        span[at++] = (byte)'\r';
        span[at++] = (byte)'\n';
        buffer.Advance(at);
    }

    /// <summary>A value as one CSV cell: escaped, UTF-8.</summary>
    private static byte[] Cell(string value)
    {
        var builder = new StringBuilder(value.Length + 4);
        Escape(builder, value);
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    /// <summary>The cells of one quasi-identifier at its chosen level, by base code, each made on first use.</summary>
    private sealed class Cells(QuasiIdentifier qi, int level)
    {
        private readonly int[] map = qi.Map(level);
        private readonly byte[]?[] cells = new byte[qi.Cardinality(level)][];

        public byte[] this[int baseCode] => cells[map[baseCode]] ??= Cell(qi.Label(baseCode, level));
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
