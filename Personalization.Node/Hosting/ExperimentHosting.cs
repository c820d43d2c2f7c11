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
            sp.GetService<ImpressionProducer>(), models: sp.GetRequiredService<ExperimentModels>(), tellEveryAnswer: options.Sessions.SuppressIgnoredAfter > 0));
        return services;
    }

    /// <summary>
    /// The node's <see cref="ExperimentReplicator"/> ("/user/experiments"), and the replicated experiment keys kept
    /// durably (<see cref="SqliteDurableStore"/>) under <see cref="NodeOptions.ExperimentOptions.DataDirectory"/> (a directory per node and
    /// remoting port): a cluster restarted as a whole serves the same experiments and keeps their counts.
    /// </summary>
    public static AkkaConfigurationBuilder WithExperiments(this AkkaConfigurationBuilder akka, NodeOptions options) =>
        akka.AddHocon(DurableHocon(options.Experiments), HoconAddMode.Prepend).WithActors((system, registry, resolver) =>
        {
            var directory = resolver.GetService<ExperimentDirectory>();
            registry.Register<ExperimentReplicator>(system.ActorOf(ExperimentReplicator.PropsFor(directory, ExperimentTally.For(system)), "experiments"));
        });

    internal static string DurableHocon(NodeOptions.ExperimentOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.DataDirectory)) return "akka.cluster.distributed-data.durable.keys = []";
        // Ends in "ddata": the store names its file after the system and the remoting port, so nodes sharing a disk do not share it.
        var dir = Path.Combine(Path.GetFullPath(options.DataDirectory), "ddata").Replace("\\", "/");
        return $$"""
            akka.cluster.distributed-data.durable {
              keys = ["experiments", "experiment-counters-*", "experiment-items-*"]
              store-actor-class = "Personalization.Actors.Experiments.SqliteDurableStore, Personalization.Actors"
              sqlite.dir = "{{dir}}"
            }
            """;
    }
}
