using Personalization.Actors.Ingest;
using Personalization.Actors.Quality;
using Personalization.Actors.Telemetry;
using Personalization.Node.Hosting;

namespace Personalization.Node.Http.Admin;

/// <summary>
/// <c>ingest status</c>: the partitions this node consumes, how far each is acknowledged and committed, its lag and
/// rates, what is in flight, and the data-quality counts per partition (README, "Data quality").
/// </summary>
internal static class AdminIngestEndpoints
{
    public static void MapAdminIngestEndpoints(this IEndpointRouteBuilder admin)
    {
        admin.MapGet("/ingest", (NodeOptions options, IServiceProvider services) =>
        {
            var kafka = options.Kafka;
            var ingest = services.GetService<KafkaIngestService>();
            var (consuming, detail) = ingest?.Check() ?? (false, "this node does not consume (Kafka:Consume = false)");
            var control = ingest?.Control;
            var status = control?.Status();
            var health = control?.PartitionHealth ?? new Dictionary<int, PartitionHealth>();
            var partitions = status?.Partitions.Select(p =>
            {
                var h = health.GetValueOrDefault(p.Partition);
                return new PartitionPositionDto(
                    p.Partition,
                    p.Committable,
                    p.Committed,
                    h?.HighWatermark ?? -1,
                    h?.Lag ?? -1,
                    h?.UnacknowledgedLag ?? -1,
                    h?.RecordsPerSecond ?? -1,
                    h?.RateDropped ?? false,
                    h?.DeadLetteredPerSecond ?? 0,
                    Quality([p.Partition]));
            }).ToArray() ?? [];
            var known = partitions.Where(p => p.Lag >= 0).ToArray();
            return Results.Json(
                new IngestStatusDto(
                    consuming,
                    detail,
                    kafka.Topic,
                    kafka.GroupId,
                    partitions,
                    status?.InFlight ?? 0,
                    status?.Buffered ?? 0,
                    status?.PausedPartitions ?? 0,
                    (long)EngineMetrics.EventsApplied.Value,
                    (long)EngineMetrics.EventsAcknowledged.Value,
                    (long)EngineMetrics.DuplicatesSkipped.Value,
                    (long)EngineMetrics.RemoteDeliveries.Value,
                    known.Length == 0 ? -1 : known.Sum(p => p.Lag),
                    partitions.Sum(p => p.DeadLetteredPerSecond),
                    Quality(DataQualityMetrics.Partitions())),
                AdminJsonContext.Default.IngestStatusDto);
        });
    }

    /// <summary>The data-quality counters of <paramref name="partitions"/>, summed.</summary>
    internal static DataQualityDto Quality(IReadOnlyList<int> partitions)
    {
        long Signal(DataQualitySignal s) => partitions.Sum(p => DataQualityMetrics.Value(s, p));
        var byReason = DeadLetterReasons.All
            .Select(r => new ReasonCountDto(DeadLetterReasons.LabelOf(r), partitions.Sum(p => DataQualityMetrics.DeadLetterValue(r, p))))
            .Where(r => r.Count > 0)
            .ToArray();
        var schema = DeadLetterReasons.All.Where(DeadLetterReasons.IsSchemaViolation)
            .Sum(r => partitions.Sum(p => DataQualityMetrics.DeadLetterValue(r, p)));
        return new DataQualityDto(
            byReason.Sum(r => r.Count),
            schema,
            byReason,
            Signal(DataQualitySignal.UnknownItem),
            Signal(DataQualitySignal.OutOfTimeOrder),
            Signal(DataQualitySignal.FutureTimestamp),
            Signal(DataQualitySignal.PastTimestamp),
            Signal(DataQualitySignal.DuplicateOffset),
            Signal(DataQualitySignal.Misrouted),
            Signal(DataQualitySignal.RateDrop));
    }
}
