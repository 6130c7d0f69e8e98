using BenchmarkDotNet.Running;

namespace Konzen.Privacy.Benchmarks;

/// <summary>
/// Runs the benchmarks the command line selects, for example <c>--filter '*Gate*'</c>; or, with
/// <c>dataset-seed</c> / <c>dataset-run</c> first, the end-to-end advertiser dataset (Sharing/DatasetRun.cs);
/// with <c>cessation-run</c>, the end of the service for 100,000 subjects (Cessation/CessationBench.cs);
/// with <c>incident-run</c>, a security incident affecting 100,000 subjects (Incidents/IncidentBench.cs).
/// </summary>
public static class Program
{
    public static async Task Main(string[] args)
    {
        if (args.FirstOrDefault() is "dataset-seed" or "dataset-run")
        {
            Environment.ExitCode = await Sharing.DatasetRun.MainAsync(args);
            return;
        }

        if (args.FirstOrDefault() is "cessation-run")
        {
            Environment.ExitCode = await Cessation.CessationBench.MainAsync(args);
            return;
        }

        if (args.FirstOrDefault() is "incident-run")
        {
            Environment.ExitCode = await Incidents.IncidentBench.MainAsync(args);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
