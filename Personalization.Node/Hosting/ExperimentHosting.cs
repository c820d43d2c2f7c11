using Akka.Hosting;
using Personalization.Actors.Experiments;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Sharding;
using Personalization.Node.Experiments;

namespace Personalization.Node.Hosting;

/// <summary>
/// Experiments on live traffic (docs/DESIGN.md, "Experiments"): the replicated experiments and this node's view of
/// them, the registry kept on the live experiment's models, the impressions producer and the answer decoration
/// every query passes through.
/// </summary>
public static class ExperimentHosting
{
    public static IServiceCollection AddExperiments(this IServiceCollection services, NodeOptions options)
    {
        services.AddSingleton<ExperimentDirectory>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ExperimentModels>();
        services.AddHostedService(sp => sp.GetRequiredService<ExperimentModels>());
        if (options.Experiments.Impressions)
            services.AddSingleton(_ => new ImpressionProducer(options.Kafka.BootstrapServers, options.Experiments.ImpressionsTopic, options.Kafka.Config));
        services.AddSingleton(sp => new ExperimentAnswers(
            sp.GetRequiredService<ExperimentDirectory>(), sp.GetRequiredService<IRequiredActor<UserShardRegion>>(), sp.GetRequiredService<Akka.Actor.ActorSystem>(),
            sp.GetService<ImpressionProducer>()));
        return services;
    }

    /// <summary>The node's <see cref="ExperimentReplicator"/> ("/user/experiments").</summary>
    public static AkkaConfigurationBuilder WithExperiments(this AkkaConfigurationBuilder akka) =>
        akka.WithActors((system, registry, resolver) =>
        {
            var directory = resolver.GetService<ExperimentDirectory>();
            registry.Register<ExperimentReplicator>(system.ActorOf(ExperimentReplicator.PropsFor(directory, ExperimentTally.For(system)), "experiments"));
        });
}
