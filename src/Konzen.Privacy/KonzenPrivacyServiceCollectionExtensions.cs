using Konzen.Privacy.Policy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy;

public static class KonzenPrivacyServiceCollectionExtensions
{
    /// <summary>Registers the policy and everything that enforces it.</summary>
    public static IServiceCollection AddKonzenPrivacy(this IServiceCollection services)
    {
        services.AddOptions<PolicyOptions>().BindConfiguration(PolicyOptions.Section);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(provider =>
        {
            var file = provider.GetRequiredService<IOptions<PolicyOptions>>().Value.File;
            var document = file is null ? PolicyLoader.LoadDefault() : Load(file);
            return CompiledPolicy.Compile(document);
        });
        return services;
    }

    private static PolicyDocument Load(string file)
    {
        var result = PolicyLoader.LoadFile(file);
        return result.Policy ?? throw new PolicyLoadException(result.Errors);
    }
}
