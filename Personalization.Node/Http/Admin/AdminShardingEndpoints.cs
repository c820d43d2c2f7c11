using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace Personalization.Node.Http.Admin;

/// <summary>
/// pbm's <c>cluster-sharding regions | region-stats | shard-stats</c>: asks the shard region (never blocks an actor;
/// the region answers from its own state or gathers from the other regions with a timeout).
/// </summary>
internal static class AdminShardingEndpoints
{
    // The region asks every region in the cluster within StatsTimeout; ours waits a little longer for that answer.
    private static readonly TimeSpan StatsTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static void MapAdminShardingEndpoints(this IEndpointRouteBuilder admin)
    {
        admin.MapGet("/sharding/regions", (ActorSystem system) =>
            Results.Json(new ShardingRegionsDto(ClusterSharding.Get(system).ShardTypeNames.Order(StringComparer.Ordinal).ToArray()),
                AdminJsonContext.Default.ShardingRegionsDto));

        admin.MapGet("/sharding/{typeName}/region-stats", async (string typeName, ActorSystem system, CancellationToken ct) =>
        {
            if (Region(system, typeName, out var region) is { } unknown) return unknown;
            try
            {
                var stats = await region!.Ask<ClusterShardingStats>(new GetClusterShardingStats(StatsTimeout), AskTimeout, ct);
                var regions = stats.Regions
                    .OrderBy(r => r.Key.ToString(), StringComparer.Ordinal)
                    .Select(r => new RegionStatsDto(r.Key.ToString(), Counts(r.Value.Stats), r.Value.Stats.Values.Sum()))
                    .ToArray();
                var failed = stats.Regions.Values.SelectMany(r => r.Failed).Distinct().OrderBy(ShardOrder).ThenBy(s => s, StringComparer.Ordinal).ToArray();
                return Results.Json(new ClusterShardingStatsDto(typeName, regions, failed), AdminJsonContext.Default.ClusterShardingStatsDto);
            }
            catch (AskTimeoutException)
            {
                return TimedOut(typeName);
            }
        });

        admin.MapGet("/sharding/{typeName}/shard-stats", async (string typeName, ActorSystem system, CancellationToken ct) =>
        {
            if (Region(system, typeName, out var region) is { } unknown) return unknown;
            try
            {
                var state = await region!.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, AskTimeout, ct);
                var shards = state.Shards
                    .OrderBy(s => ShardOrder(s.ShardId)).ThenBy(s => s.ShardId, StringComparer.Ordinal)
                    .Select(s => new ShardCountDto(s.ShardId, s.EntityIds.Count))
                    .ToArray();
                var failed = state.Failed.OrderBy(ShardOrder).ThenBy(s => s, StringComparer.Ordinal).ToArray();
                return Results.Json(
                    new ShardRegionStateDto(typeName, Cluster.Get(system).SelfAddress.ToString(), shards, shards.Sum(s => s.Entities), failed),
                    AdminJsonContext.Default.ShardRegionStateDto);
            }
            catch (AskTimeoutException)
            {
                return TimedOut(typeName);
            }
        });
    }

    private static IResult? Region(ActorSystem system, string typeName, out IActorRef? region)
    {
        var sharding = ClusterSharding.Get(system);
        region = null;
        if (!sharding.ShardTypeNames.Contains(typeName))
        {
            return AdminEndpoints.Error(StatusCodes.Status404NotFound,
                $"no shard region \"{typeName}\" on this node; regions: {string.Join(", ", sharding.ShardTypeNames.Order(StringComparer.Ordinal))}");
        }

        region = sharding.ShardRegion(typeName);
        return null;
    }

    private static ShardCountDto[] Counts(IEnumerable<KeyValuePair<string, int>> stats) =>
        stats.OrderBy(s => ShardOrder(s.Key)).ThenBy(s => s.Key, StringComparer.Ordinal).Select(s => new ShardCountDto(s.Key, s.Value)).ToArray();

    // User shards are partition numbers: sort 2 before 10.
    private static long ShardOrder(string shardId) =>
        long.TryParse(shardId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : long.MaxValue;

    private static IResult TimedOut(string typeName) =>
        AdminEndpoints.Error(StatusCodes.Status503ServiceUnavailable,
            $"the \"{typeName}\" shard region did not answer within {AskTimeout.TotalSeconds:0} s (node starting, rebalancing or overloaded); retry");
}
