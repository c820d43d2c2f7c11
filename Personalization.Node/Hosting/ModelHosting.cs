using Personalization.Actors.Model;

namespace Personalization.Node.Hosting;

public static class ModelHosting
{
    /// <summary>
    /// Loads and validates the model folder when the container is built (a bad model stops start-up with its reason,
    /// before the node joins anything) and serves it to user actors through <see cref="IModelProvider"/>.
    /// </summary>
    public static IServiceCollection AddModelRegistry(this IServiceCollection services, NodeOptions.ModelOptions options, int stepThreadNice = 0)
    {
        services.AddSingleton(sp =>
        {
            var batcher = new InferenceBatcherOptions
            {
                Model = OnnxModelOptions.Default with { MaxStepBatch = options.MaxBatch },
                StepThreadNice = stepThreadNice, // steps are ingest: below the scores that serve queries
            };
            var loader = new ModelLoader(new ModelRegistry(path => InferenceBatcher.Open(path, batcher)), logger: sp.GetService<ILogger<ModelLoader>>());
            loader.Load(options.Path);
            return loader;
        });
        // The loader owns the registry; the registry is registered on its own so DI disposes it (models, threads).
        services.AddSingleton(sp => sp.GetRequiredService<ModelLoader>().Registry);
        services.AddSingleton<IModelProvider>(sp => sp.GetRequiredService<ModelRegistry>());
        services.AddSingleton<ModelReadiness>();
        services.AddReadiness<ModelReadiness>("model");
        return services;
    }

    internal sealed class ModelReadiness(ModelRegistry registry) : IReadinessCheck
    {
        public string Name => "model";

        public (bool Ready, string Detail) Check() =>
            registry.HasModel ? (true, $"{registry.Current.Name} {registry.Current.Version}") : (false, "no model loaded");
    }
}
