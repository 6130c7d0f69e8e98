using System.CommandLine;
using Konzen.Privacy.Testing;

namespace Konzen.Privacy.Host.Tests;

/// <summary>Runs a `konzen` command line in-process and captures what it writes.</summary>
internal static class Cli
{
    public static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        var exit = await KonzenCommand.Create().Parse(args)
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, TestContext.Current.CancellationToken);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Runs a command line against one test's stores, its key files in <paramref name="dataDirectory"/>.</summary>
    public static Task<(int Exit, string Output, string Error)> RunOnAsync(TestStore store, string dataDirectory, params string[] args) =>
        RunAsync([.. args, $"--Storage:Database={store.DatabaseConnectionString}", $"--Storage:KeyStore={store.KeyStoreConnectionString}", $"--Storage:DataDirectory={dataDirectory}"]);
}

/// <summary>A folder of its own for one test's files, removed afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("konzen-test-").FullName;

    public string Write(string name, string text)
    {
        var path = System.IO.Path.Combine(Path, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
