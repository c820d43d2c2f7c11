using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Personalization.Actors.Sharding;
using Prometheus;

namespace Personalization.Node.Hosting;

/// <summary>
/// Samples this node's view of the cluster and its shard region every <see cref="Interval"/>:
/// <c>personalization_cluster_members{status}</c> (every status, 0 included), <c>personalization_cluster_unreachable_members</c>,
/// <c>personalization_cluster_self_up</c>, <c>personalization_sharding_shards</c> and <c>personalization_sharding_users</c>
/// (the user shards and live users hosted here). Reads Akka's own state (the cluster's, the region's answer to
/// <see cref="GetShardRegionStats"/>); nothing on the event path.
/// </summary>
public sealed class NodeStatsService(ActorSystem system, IRequiredActor<UserShardRegion> region, ILogger<NodeStatsService> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private static readonly Gauge Members = Metrics.CreateGauge(
        "personalization_cluster_members", "Cluster members by status, as this node sees them.", "status");

    private static readonly Gauge Unreachable = Metrics.CreateGauge(
        "personalization_cluster_unreachable_members", "Members this node's failure detector marks unreachable.");

    private static readonly Gauge SelfUp = Metrics.CreateGauge(
        "personalization_cluster_self_up", "1 while this node is Up in its own view of the cluster.");

    private static readonly Gauge Shards = Metrics.CreateGauge(
        "personalization_sharding_shards", "User shards (= Kafka partitions) hosted on this node.");

    private static readonly Gauge Users = Metrics.CreateGauge(
        "personalization_sharding_users", "Live user actors hosted on this node.");

    private static readonly MemberStatus[] Statuses = Enum.GetValues<MemberStatus>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var status in Statuses) Members.WithLabels(status.ToString()).Set(0);
        Unreachable.Set(0);
        SelfUp.Set(0);
        Shards.Set(0);
        Users.Set(0);
        IActorRef shardRegion;
        try
        {
            shardRegion = await region.GetAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await SampleAsync(shardRegion, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogDebug("Node stats sample failed: {Reason}", e.Message);
            }
        }
        while (await timer.TickOrStopAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task SampleAsync(IActorRef shardRegion, CancellationToken ct)
    {
        var cluster = Cluster.Get(system);
        var state = cluster.State;
        var counts = state.Members.GroupBy(m => m.Status).ToDictionary(g => g.Key, g => g.Count());
        foreach (var status in Statuses) Members.WithLabels(status.ToString()).Set(counts.GetValueOrDefault(status));
        Unreachable.Set(state.Unreachable.Count);
        SelfUp.Set(cluster.SelfMember.Status == MemberStatus.Up ? 1 : 0);
        if (system.WhenTerminated.IsCompleted) return;
        // Counts per shard only (GetShardRegionStats), not the entity ids GetShardRegionState would copy for every live user.
        var stats = await shardRegion.Ask<ShardRegionStats>(GetShardRegionStats.Instance, TimeSpan.FromSeconds(5), ct);
        Shards.Set(stats.Stats.Count);
        Users.Set(stats.Stats.Values.Sum());
    }
}
