using BenchmarkDotNet.Attributes;
using Konzen.Privacy.Sharing;

namespace Konzen.Privacy.Benchmarks.Sharing;

/// <summary>
/// The k-anonymity engine alone on 1,000,000 rows (20,000 subjects × 50 events), k = 10, four
/// quasi-identifiers (age, geohash, hour, device family), suppression budget 5 %: the lattice search
/// with its passes over the rows deduplicated per subject. Encoding the rows is done once in
/// GlobalSetup, as the dataset writer does it once before solving.
/// </summary>
[MemoryDiagnoser]
public class DeidentificationBenchmarks
{
    private const int Subjects = 20_000;
    private const int EventsPerSubject = 50;

    private IReadOnlyList<QuasiIdentifier> quasiIdentifiers = null!;
    private int[][] columns = null!;
    private int[] owners = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261201);
        var qis = new AdvertisingQuasiIdentifiers();
        var rows = Subjects * EventsPerSubject;
        columns = [new int[rows], new int[rows], new int[rows], new int[rows]];
        owners = new int[rows];
        var now = new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
        var row = 0;
        for (var s = 0; s < Subjects; s++)
        {
            var (age, latitude, longitude, model) = SyntheticAdvertising.Subject(random);
            var ageCode = qis.AgeCode(age);
            var locationCode = qis.LocationCode(Geohash.Encode(latitude, longitude, 5));
            var deviceCode = qis.DeviceCode(DeviceFamilies.Family(model));
            for (var e = 0; e < EventsPerSubject; e++, row++)
            {
                columns[0][row] = ageCode;
                columns[1][row] = locationCode;
                columns[2][row] = qis.TimeCode(now.AddSeconds(-random.Next(30 * 24 * 3600)));
                columns[3][row] = deviceCode;
                owners[row] = s;
            }
        }

        quasiIdentifiers = qis.All;
        var result = Solve().Result;
        Console.WriteLine($"// engine: {result.Rows} rows, k {result.K}, levels [{string.Join(", ", result.Levels)}], suppressed {result.Suppressed}, information loss {result.InformationLoss:F4}");
    }

    [Benchmark]
    public DeidentificationPlan Solve() => DeidentificationEngine.Solve(quasiIdentifiers, columns, owners, 10, 0.05);
}
