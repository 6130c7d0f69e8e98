using System.CommandLine;
using Konzen.Privacy.Host;

// `konzen` runs the service (the default verb); the other verbs are the operators' tools.
return await KonzenCommand.Create().Parse(args).InvokeAsync(new InvocationConfiguration
{
    // Let failures surface as exit codes with our own messages instead of the parser's stack dump.
    EnableDefaultExceptionHandler = false,
});

/// <summary>The entry point; public so that tests can host the service in-process.</summary>
public partial class Program;
