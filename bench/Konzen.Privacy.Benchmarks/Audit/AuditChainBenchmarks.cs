using BenchmarkDotNet.Attributes;
using Konzen.Privacy.Audit;

namespace Konzen.Privacy.Benchmarks.Audit;

/// <summary>
/// Hashing one audit entry of typical size (a field read by staff for a purpose, with a short
/// detail): the work every append and every verified entry does once.
/// </summary>
[MemoryDiagnoser]
public class AuditChainBenchmarks
{
    private readonly byte[] hash = new byte[AuditChain.HashSize];
    private AuditEntry entry = null!;

    [GlobalSetup]
    public void Setup()
    {
        entry = new AuditEntry
        {
            Sequence = 1_234_567,
            At = new DateTimeOffset(2026, 11, 29, 7, 30, 15, 123, TimeSpan.Zero),
            Actor = "staff:ana.lima",
            Action = "field.read",
            SubjectId = Guid.Parse("0b7e4c1a-3f5d-4a8e-9c2b-6d1f0e9a8b7c"),
            Field = "user.contact.email",
            Purpose = "support.tickets",
            Detail = "ticket 48213: customer asked to change the address",
            PreviousHash = [.. Enumerable.Range(0, AuditChain.HashSize).Select(i => (byte)(i * 7))],
        };
    }

    /// <summary>As the verifier does: into a buffer it reuses.</summary>
    [Benchmark(Baseline = true)]
    public byte ComputeHash()
    {
        AuditChain.ComputeHash(entry, hash);
        return hash[0];
    }

    /// <summary>As an append does: a new array for the entry's Hash column.</summary>
    [Benchmark]
    public byte[] HashOf() => AuditChain.HashOf(entry);
}
