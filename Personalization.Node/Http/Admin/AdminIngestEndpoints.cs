using Personalization.Actors.Telemetry;
using Personalization.Node.Hosting;

namespace Personalization.Node.Http.Admin;

/// <summary><c>ingest status</c>: the partitions this node consumes, how far each is acknowledged and committed, what is in flight.</summary>
internal static class AdminIngestEndpoints
{
    public static void MapAdminIngestEndpoints(this IEndpointRouteBuilder admin)
    {
        admin.MapGet("/ingest", (NodeOptions options, IServiceProvider services) =>
        {
            var kafka = options.Kafka;
            var ingest = services.GetService<KafkaIngestService>();
            var (consuming, detail) = ingest?.Check() ?? (false, "this node does not consume (Kafka:Consume = false)");
            var status = ingest?.Control?.Status();
            return Results.Json(
                new IngestStatusDto(
                    consuming,
                    detail,
                    kafka.Topic,
                    kafka.GroupId,
                    status?.Partitions.Select(p => new PartitionPositionDto(p.Partition, p.Committable, p.Committed)).ToArray() ?? [],
                    status?.InFlight ?? 0,
                    status?.Buffered ?? 0,
                    status?.PausedPartitions ?? 0,
                    (long)EngineMetrics.EventsApplied.Value,
                    (long)EngineMetrics.EventsAcknowledged.Value,
                    (long)EngineMetrics.DuplicatesSkipped.Value,
                    (long)EngineMetrics.RemoteDeliveries.Value),
                AdminJsonContext.Default.IngestStatusDto);
        });
    }
}
