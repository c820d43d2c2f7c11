using Akka;
using Akka.Actor;
using Akka.Hosting;

namespace Personalization.Actors.Kafka;

/// <summary>Runs the Kafka ingest with the actor system: started at startup, drained on coordinated shutdown.</summary>
public static class KafkaIngestHostingExtensions
{
    /// <summary>
    /// Starts <see cref="IngestPipeline"/> once the actor system is up. On coordinated shutdown (SIGTERM) it drains in
    /// the service-unbind phase — before sharding hands shards off, so users can still acknowledge — waiting up to
    /// <paramref name="drainTimeout"/> (make it exceed the users' checkpoint interval T), then commits and leaves the group.
    /// </summary>
    public static AkkaConfigurationBuilder WithKafkaIngest(
        this AkkaConfigurationBuilder builder,
        KafkaSourceSettings settings,
        int partitionCount,
        Func<ActorSystem, IActorRegistry, IActorRef> shardRegion,
        TimeSpan drainTimeout,
        IPartitionAssignmentListener? listener = null)
    {
        return builder.AddStartup((system, registry) =>
        {
            var deadLetters = new DeadLetterProducer(settings.BootstrapServers);
            var ingest = IngestPipeline.Start(system, settings, shardRegion(system, registry), deadLetters, partitionCount, listener);
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "kafka-ingest-drain", async () =>
            {
                try
                {
                    await ingest.DrainAndShutdownAsync(drainTimeout).ConfigureAwait(false);
                }
                finally
                {
                    deadLetters.Dispose();
                }

                return Done.Instance;
            });
        });
    }
}
