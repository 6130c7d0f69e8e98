using System.CommandLine;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Policy.Rendering;

namespace Konzen.Privacy.Host.Policy;

/// <summary>`konzen policy validate FILE` and `konzen policy render FILE`: exit 0 on success, 1 with the errors on stderr.</summary>
internal static class PolicyCommands
{
    public static Command Create()
    {
        var policy = new Command("policy", "Check and render policy files.");
        policy.Subcommands.Add(Validate());
        policy.Subcommands.Add(Render());
        return policy;
    }

    private static Command Validate()
    {
        var file = new Argument<string>("FILE") { Description = "The policy file (YAML)." };
        var command = new Command("validate", "Check a policy file and report every error with its line and column.") { file };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration;
            var result = PolicyLoader.LoadFile(parseResult.GetRequiredValue(file));
            if (result.Policy is not { } document)
            {
                return await ReportAsync(output.Error, result.Errors);
            }

            var version = document.Version;
            await output.Output.WriteLineAsync(
                $"{Path.GetFileName(parseResult.GetRequiredValue(file))}: valid policy {version.Number}, effective {version.Effective:yyyy-MM-dd}, " +
                $"{document.Categories.Length} categories, {document.Purposes.Length} purposes, sha256 {version.ContentHash}");
            return 0;
        });
        return command;
    }

    private static Command Render()
    {
        var file = new Argument<string>("FILE") { Description = "The policy file (YAML)." };
        var format = new Option<string>("--format") { Description = "md or html.", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "html");
        var lang = new Option<string>("--lang") { Description = "en or zh-CN.", DefaultValueFactory = _ => "en" };
        lang.AcceptOnlyFromAmong("en", "zh-CN");
        var command = new Command("render", "Render a policy file as the human-readable policy.") { file, format, lang };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration;
            var result = PolicyLoader.LoadFile(parseResult.GetRequiredValue(file));
            if (result.Policy is not { } document)
            {
                return await ReportAsync(output.Error, result.Errors);
            }

            var language = parseResult.GetRequiredValue(lang) == "zh-CN" ? PolicyLanguage.ZhCn : PolicyLanguage.En;
            var policyFormat = parseResult.GetRequiredValue(format) == "html" ? PolicyFormat.Html : PolicyFormat.Markdown;
            await output.Output.WriteAsync(PolicyRenderer.Render(document, policyFormat, language));
            return 0;
        });
        return command;
    }

    private static async Task<int> ReportAsync(TextWriter error, IReadOnlyList<PolicyError> errors)
    {
        foreach (var e in errors)
        {
            await error.WriteLineAsync(e.ToString());
        }

        return 1;
    }
}
