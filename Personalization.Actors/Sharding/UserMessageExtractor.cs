using Akka.Cluster.Sharding;
using Personalization.Actors.Routing;
using Personalization.Actors.Sessions;

namespace Personalization.Actors.Sharding;

/// <summary>
/// Entity id = user id; shard id = the user's Kafka partition (murmur2(user) % partitions), so the node that consumes
/// partition p can host shard p and ingest never crosses the network (docs/DESIGN.md, "Routing").
/// </summary>
public sealed class UserMessageExtractor(int partitions) : IMessageExtractor
{
    public int Partitions { get; } = partitions > 0 ? partitions : throw new ArgumentOutOfRangeException(nameof(partitions));

    // StartEntity and ShardingEnvelope are unwrapped by Akka.NET itself before the extractor sees them.
    public string? EntityId(object message) => message is IUserMessage user ? user.UserId : null;

    public object? EntityMessage(object message) => message;

    public string? ShardId(object message) => EntityId(message) is { } id ? ShardId(id, message) : null;

    public string ShardId(string entityId, object? messageHint = null) => ShardIdFor(entityId, Partitions);

    public static string ShardIdFor(string userId, int partitions) => KafkaPartitioner.PartitionFor(userId, partitions).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
