using BenchmarkDotNet.Attributes;
using Konzen.Privacy.Policy;

namespace Konzen.Privacy.Benchmarks.Policy;

/// <summary>
/// Start-up and policy publication: reading the default policy's YAML into a document and compiling
/// it for the gate. Target: load and compile together under 50 ms.
/// </summary>
[MemoryDiagnoser]
public class PolicyLoadBenchmarks
{
    private string text = null!;
    private PolicyDocument document = null!;

    [GlobalSetup]
    public void Setup()
    {
        text = PolicyLoader.ReadDefaultText();
        document = PolicyLoader.LoadDefault();
    }

    [Benchmark]
    public PolicyDocument Load() => LoadDefault();

    [Benchmark]
    public CompiledPolicy Compile() => CompiledPolicy.Compile(document);

    [Benchmark]
    public CompiledPolicy LoadAndCompile() => CompiledPolicy.Compile(LoadDefault());

    private PolicyDocument LoadDefault() =>
        PolicyLoader.Load(text, PolicyLoader.DefaultPolicyName).Policy
            ?? throw new InvalidOperationException("The default policy did not load.");
}
