using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using Konzen.Privacy.Host.Serve;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Policy.Rendering;
using Konzen.Privacy.Policy.Versions;
using Konzen.Privacy.Storage;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Host.Policy;

/// <summary>
/// `konzen policy validate FILE`, `konzen policy render FILE` and `konzen policy publish FILE --effective DATE`:
/// exit 0 on success, 1 with the errors on stderr.
/// </summary>
internal static class PolicyCommands
{
    public static Command Create()
    {
        var policy = new Command("policy", "Check and render policy files.");
        policy.Subcommands.Add(Validate());
        policy.Subcommands.Add(Render());
        policy.Subcommands.Add(Publish());
        return policy;
    }

    private static Command Publish()
    {
        var file = new Argument<string>("FILE") { Description = "The policy file (YAML) of the new version." };
        var effective = new Option<DateOnly>("--effective") { Description = "The day (yyyy-MM-dd, UTC) the version takes effect; at least the policy's notice period from now.", Required = true };
        var by = new Option<string>("--by") { Description = "Who publishes it, recorded as staff:NAME.", DefaultValueFactory = _ => "cli" };
        var command = new Command(
            "publish",
            "Store a new policy version to take effect on a later day, and notify every subject of it (in-app, and by email or SMS) in their language. " +
            "Exits 0 when published, 1 when refused (nothing is stored) or the stores cannot be used.") { file, effective, by };
        var stores = new StoreOptions();
        stores.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration;
            var path = parseResult.GetRequiredValue(file);

            // The same checks and errors as start-up, before any store is opened.
            var loaded = PolicyLoader.LoadFile(path);
            if (loaded.Policy is null)
            {
                return await ReportAsync(output.Error, loaded.Errors);
            }

            try
            {
                using var host = await VerbServices.StartAsync(stores.Settings(parseResult), cancellationToken);
                PublishResult result;
                await using (var scope = host.Services.CreateAsyncScope())
                {
                    result = await scope.ServiceProvider.GetRequiredService<PolicyPublisher>().PublishAsync(
                        await File.ReadAllTextAsync(path, cancellationToken), Path.GetFileName(path), parseResult.GetValue(effective), $"staff:{parseResult.GetValue(by)}", cancellationToken);
                }

                await host.StopAsync(cancellationToken);
                return await ReportAsync(output, result);
            }
            catch (Exception e) when (e is DbException or PolicyLoadException or OptionsValidationException or StorageUnavailableException)
            {
                await output.Error.WriteLineAsync($"konzen: cannot publish the policy: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static async Task<int> ReportAsync(InvocationConfiguration output, PublishResult result)
    {
        switch (result.Refusal)
        {
            case PublishRefusal.None:
                var v = result.Version!;
                await output.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"published policy {v.Number} as version {v.Sequence}, effective {v.EffectiveAt:yyyy-MM-dd}, sha256 {v.ContentHash}; " +
                    $"{result.Changes.Count} changes, {result.Changes.Count(c => c.Material)} material; notice queued for {v.Notified} subjects"));
                foreach (var change in result.Changes)
                {
                    await output.Output.WriteLineAsync($"  {(change.Material ? "material" : "notice  ")}  {change.What.En} ({change.Reason.En})");
                }

                return 0;
            case PublishRefusal.Invalid:
                return await ReportAsync(output.Error, result.Errors);
            case PublishRefusal.TooEarly:
                await output.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"konzen: the effective date is inside the policy's notice period; the earliest effective date is {result.Earliest:yyyy-MM-dd}. Nothing was stored."));
                return 1;
            case PublishRefusal.NotAfterLatest:
                await output.Error.WriteLineAsync("konzen: the effective date must be after the effective date of the latest published version. Nothing was stored.");
                return 1;
            default:
                await output.Error.WriteLineAsync("konzen: a version with this content or this version number (policy.version) is published already. Nothing was stored.");
                return 1;
        }
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
