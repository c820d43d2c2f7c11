using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace Personalization.Node.Http.Admin;

/// <summary>
/// pbm's <c>cluster-sharding regions | region-stats | shard-stats</c>, and the entity ids on this node: asks the shard
/// region (never blocks an actor; the region answers from its own state or gathers from the other regions with a timeout).
/// </summary>
internal static class AdminShardingEndpoints
{
    // The region asks every region in the cluster within StatsTimeout; ours waits a little longer for that answer.
    private static readonly TimeSpan StatsTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private const int DefaultEntityLimit = 10_000;
    private const int MaxEntityLimit = 1_000_000;

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

        MapEntities(admin);
    }

    /// <summary>
    /// The entity ids of a type living on this node, by shard, with this node's own view of its membership: a reader
    /// can tell whether a node that still hosts users still counts itself a member (the fault suite samples it to
    /// check that no user is live on two nodes). At most <c>limit</c> ids (default 10,000); counts alone: shard-stats.
    /// </summary>
    private static void MapEntities(IEndpointRouteBuilder admin) =>
        admin.MapGet("/sharding/{typeName}/entities", async (string typeName, int? limit, ActorSystem system, CancellationToken ct) =>
        {
            if (Region(system, typeName, out var region) is { } unknown) return unknown;
            var max = limit ?? DefaultEntityLimit;
            if (max is < 1 or > MaxEntityLimit)
                return AdminEndpoints.Error(StatusCodes.Status400BadRequest, $"limit must be from 1 to {MaxEntityLimit} (is {max})");
            try
            {
                var state = await region!.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, AskTimeout, ct);
                var self = Cluster.Get(system).SelfMember.Status.ToString();
                var left = max;
                var shards = new List<ShardEntityIdsDto>();
                foreach (var shard in state.Shards.OrderBy(s => ShardOrder(s.ShardId)).ThenBy(s => s.ShardId, StringComparer.Ordinal))
                {
                    var ids = shard.EntityIds.Order(StringComparer.Ordinal).Take(left).ToArray();
                    left -= ids.Length;
                    shards.Add(new ShardEntityIdsDto(shard.ShardId, ids));
                }

                var total = state.Shards.Sum(s => s.EntityIds.Count);
                return Results.Json(
                    new ShardEntitiesDto(typeName, Cluster.Get(system).SelfAddress.ToString(), self, shards, total, total > max),
                    AdminJsonContext.Default.ShardEntitiesDto);
            }
            catch (AskTimeoutException)
            {
                return TimedOut(typeName);
            }
        });

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
