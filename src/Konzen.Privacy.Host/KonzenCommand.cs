using System.CommandLine;
using Konzen.Privacy.Host.Audit;
using Konzen.Privacy.Host.Cessation;
using Konzen.Privacy.Host.Controller;
using Konzen.Privacy.Host.Policy;
using Konzen.Privacy.Host.Retention;
using Konzen.Privacy.Host.Serve;
using Konzen.Privacy.Host.Staff;
using Konzen.Privacy.Host.Vault;
using Konzen.Privacy.Host.Subjects;

namespace Konzen.Privacy.Host;

/// <summary>The `konzen` command line: every verb in one place.</summary>
internal static class KonzenCommand
{
    public static RootCommand Create()
    {
        var root = new RootCommand("Konzen Privacy: the system that keeps the promises of the Konzen privacy policy.");
        ServeCommand.Configure(root);
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(PolicyCommands.Create());
        root.Subcommands.Add(KeysCommands.Create());
        root.Subcommands.Add(AuditCommands.Create());
        root.Subcommands.Add(SubjectsCommands.Create());
        root.Subcommands.Add(RetentionCommands.Create());
        root.Subcommands.Add(StaffCommands.Create());
        root.Subcommands.Add(ControllerCommands.Create());
        root.Subcommands.Add(CessationCommands.Create());
        return root;
    }
}
