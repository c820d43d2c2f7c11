using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Personalization.Actors.Sharding;
using Personalization.Node.Hosting;

namespace Personalization.Node.Http;

/// <summary>What this node consumes and hosts: partitions assigned by Kafka and user shards living here (they should match).</summary>
public static class ClusterEndpoints
{
    public static void MapClusterEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/cluster/shards", async (ActorSystem system, IRequiredActor<UserShardRegion> region, IServiceProvider services, CancellationToken ct) =>
        {
            var state = await (await region.GetAsync(ct)).Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5), ct);
            var partitions = services.GetService<KafkaIngestService>()?.Control?.AssignedPartitions.Order().ToArray() ?? [];
            return Results.Json(
                new NodeShardsDto(
                    Cluster.Get(system).SelfAddress.ToString(),
                    partitions,
                    state.Shards.Select(s => int.Parse(s.ShardId, System.Globalization.CultureInfo.InvariantCulture)).Order().ToArray(),
                    state.Shards.Sum(s => s.EntityIds.Count)),
                ApiJsonContext.Default.NodeShardsDto);
        });
    }
}
