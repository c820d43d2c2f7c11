using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding.External;
using Akka.Event;
using Personalization.Actors.Kafka.Source;
namespace Personalization.Actors.Sharding;

/// <summary>
/// Keeps shard p on the node that Kafka's consumer group assigned partition p: on every assignment the node records
/// itself as the desired location of those shards (Akka.Cluster.Sharding's external shard allocation, replicated with
/// Distributed Data); the coordinator moves the shards there on its next rebalance (users hand off with a checkpoint).
/// Revocations need nothing: the new owner claims the shards when it is assigned the partitions.
/// </summary>
public sealed class PartitionAlignedShards(ActorSystem system) : IPartitionAssignmentListener
{
    private readonly IExternalShardAllocationClient _client = ExternalShardAllocation.Get(system).ClientFor(UserShardRegion.TypeName);
    private readonly Address _self = Cluster.Get(system).SelfAddress;
    private readonly ILoggingAdapter _log = Logging.GetLogger(system, typeof(PartitionAlignedShards));

    /// <summary>Called on the Kafka poll thread inside the rebalance: only starts the (asynchronous) update.</summary>
    public void OnAssigned(IReadOnlyList<int> partitions)
    {
        if (partitions.Count == 0) return;
        var locations = partitions.ToImmutableDictionary(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture), _ => _self);
        _client.UpdateShardLocations(locations).ContinueWith(
            t => _log.Warning(t.Exception, "Could not record this node as home of shards [{Shards}]; they stay where they are until the next assignment", string.Join(",", partitions)),
            TaskContinuationOptions.OnlyOnFaulted);
        _log.Info("Shards [{Shards}] now belong on {Node} (their partitions were assigned here)", string.Join(",", partitions), _self);
    }
}
