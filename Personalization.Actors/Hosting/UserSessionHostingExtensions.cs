using Akka.Cluster.Sharding;
using Akka.Cluster.Sharding.External;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Personalization.Actors.Delivery;
using Personalization.Actors.Events;
using Personalization.Actors.Model;
using Personalization.Actors.Serialization;
using Personalization.Actors.Sessions;
using Personalization.Actors.Sharding;

namespace Personalization.Actors.Hosting;

public static class UserSessionHostingExtensions
{
    /// <summary>
    /// Binds every message that crosses the network or is persisted to the protobuf serializer, and refuses any type
    /// without a binding (<see cref="UnboundMessageSerializer"/>) instead of Akka's JSON fallback.
    /// </summary>
    public static AkkaConfigurationBuilder WithPersonalizationSerialization(this AkkaConfigurationBuilder builder) =>
        builder
            .WithCustomSerializer(
                "personalization",
                [
                    typeof(IUserMessage), typeof(EventsDurable), typeof(RedeliveryNeeded), typeof(Recommendations),
                    typeof(SessionView), typeof(StopUser), typeof(UserCheckpoint), typeof(UserInspection),
                ],
                system => new PersonalizationSerializer(system))
            .WithCustomSerializer(
                "experiments",
                [typeof(Experiments.ExperimentDefinition), typeof(Experiments.ImpressionServed), typeof(Experiments.ItemSketches)],
                system => new ExperimentSerializer(system))
            .WithCustomSerializer("unbound", [typeof(object)], system => new UnboundMessageSerializer(system));

    /// <summary>
    /// The "user" shard region: one <see cref="UserSessionActor"/> per user, shard = the user's Kafka partition, placed
    /// by <see cref="ExternalShardAllocationStrategy"/>: the node that Kafka assigns partition p records itself as the
    /// home of shard p (<see cref="PartitionAlignedShards"/>), so ingest never crosses the network. The model comes from
    /// the <see cref="IModelProvider"/> registered in DI.
    /// </summary>
    public static AkkaConfigurationBuilder WithUserSessions(this AkkaConfigurationBuilder builder, int partitions, UserSessionSettings settings, string? role = null) =>
        builder
            .AddHocon(
                // Shards follow partition moves within seconds rather than the default 10 s.
                // The region buffers messages for shards whose home it is still asking the coordinator for, and drops
                // them beyond buffer-size (100,000 by default). A node that starts on a backlog emits up to the source's
                // in-flight bound (10,000 per partition) within milliseconds, before the homes are known: 92k of 200k
                // events were dropped in the load tool (they came back only with the source's 30 s redelivery). The
                // source's bound is the real one, so the buffer must never be the tighter.
                // The handoff timeout: a hand-off is a user checkpoint (milliseconds); when the region handing off is on
                // a node that just died, the default 60 s would hold its shards (and their users' events) for a minute.
                "akka.cluster.sharding.rebalance-interval = 2s\nakka.cluster.sharding.handoff-timeout = 10s\nakka.cluster.sharding.buffer-size = 2000000",
                HoconAddMode.Prepend)
            // One actor per live user: its mailbox must cost next to nothing while idle (UserMailbox).
            .AddHocon(UserMailbox.Hocon, HoconAddMode.Prepend)
            .StartActors((system, registry, resolver) =>
            {
                var models = resolver.GetService<IModelProvider>();
                var userProps = UserSessionActor.PropsFor(settings, models, resolver.GetService<Serving.ServingBoard>());
                if (IngestDispatcherHostingExtensions.IngestDispatcherOf(system) is { } dispatcher) userProps = userProps.WithDispatcher(dispatcher);
                var sharding = ClusterSharding.Get(system);
                var shardingSettings = ClusterShardingSettings.Create(system)
                    .WithRole(role)
                    .WithRememberEntities(false)
                    .WithStateStoreMode(StateStoreMode.DData)
                    // An idle user is passivated by its shard: the shard sends it StopUser (the hand-off stop message),
                    // it checkpoints what is not durable yet and stops. Not a ReceiveTimeout per actor: that is a
                    // scheduler registration per live user (~230 B) rescheduled on every message it receives.
                    .WithPassivateIdleAfter(settings.IdleTimeout);
                var region = sharding.Start(
                    UserShardRegion.TypeName,
                    _ => userProps,
                    shardingSettings,
                    new UserMessageExtractor(partitions),
                    new ExternalShardAllocationStrategy(system, UserShardRegion.TypeName),
                    StopUser.Instance);
                registry.Register<UserShardRegion>(region);
            });
}
