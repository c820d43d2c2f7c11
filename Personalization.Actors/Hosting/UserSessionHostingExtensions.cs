using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Personalization.Actors.Events;
using Personalization.Actors.Model;
using Personalization.Actors.Serialization;
using Personalization.Actors.Sessions;
using Personalization.Actors.Sharding;

namespace Personalization.Actors.Hosting;

public static class UserSessionHostingExtensions
{
    /// <summary>Binds every message that crosses the network or is persisted to the protobuf serializer.</summary>
    public static AkkaConfigurationBuilder WithPersonalizationSerialization(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer(
            "personalization",
            [
                typeof(ApplyEvent), typeof(EventsDurable), typeof(RedeliveryNeeded), typeof(GetRecommendations), typeof(Recommendations),
                typeof(GetSession), typeof(SessionView), typeof(StopUser), typeof(UserCheckpoint),
            ],
            system => new PersonalizationSerializer(system));

    /// <summary>
    /// The "user" shard region: one <see cref="UserSessionActor"/> per user, shard = the user's Kafka partition.
    /// The model comes from the <see cref="IModelProvider"/> registered in DI.
    /// </summary>
    public static AkkaConfigurationBuilder WithUserSessions(this AkkaConfigurationBuilder builder, int partitions, UserSessionSettings settings, string? role = null) =>
        builder.WithShardRegion<UserShardRegion>(
            UserShardRegion.TypeName,
            (_, _, resolver) =>
            {
                var models = resolver.GetService<IModelProvider>();
                return userId => UserSessionActor.PropsFor(userId, settings, models);
            },
            new UserMessageExtractor(partitions),
            new ShardOptions
            {
                StateStoreMode = StateStoreMode.DData,
                RememberEntities = false,
                HandOffStopMessage = StopUser.Instance,
                // Users passivate themselves (after a checkpoint); sharding's own idle passivation stays off.
                ShouldPassivateIdleEntities = false,
                Role = role,
            });
}
