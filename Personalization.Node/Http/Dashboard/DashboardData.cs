using System.Globalization;
using System.Text.Json.Serialization;

namespace Personalization.Node.Http.Dashboard;

public sealed record BucketDto(double Le, double Count);

/// <summary>A histogram as counted since the node started: cumulative buckets (upper bound, count), count, sum.</summary>
public sealed record HistogramDto(string Metric, IReadOnlyList<BucketDto> Buckets, double Count, double Sum);

public sealed record LabeledCountDto(string Label, double Count);

/// <summary>
/// A partition this node consumes: positions from the ingest source; <see cref="Lag"/>, <see cref="HighWatermark"/>
/// and <see cref="RecordsPerSecond"/> from the registry where the node exports them (null where it does not).
/// </summary>
public sealed record DashboardPartitionDto(int Partition, long Committed, long Committable, double? Lag, double? HighWatermark, double? RecordsPerSecond);

public sealed record DashboardClusterDto(int Members, int Up, int Unreachable, string? Leader);

/// <summary>
/// What <c>/dashboard</c> polls (<c>GET /dashboard/data</c>): this node's counters and histograms read from the
/// Prometheus registry (the numbers <c>/metrics</c> serves), its partitions, model and cluster view. Counters are
/// totals since the node started; the page turns successive polls into rates and recent quantiles.
/// <see cref="Missing"/> names what this node does not export (an older node: no lag, no data-quality counts), which
/// the page shows as "not exported" instead of zeros.
/// </summary>
public sealed record DashboardDto(
    long Time,
    string Node,
    string? ModelName,
    string? ModelVersion,
    DashboardClusterDto Cluster,
    IReadOnlyDictionary<string, double> Counters,
    IReadOnlyList<DashboardPartitionDto> Partitions,
    HistogramDto? Freshness,
    HistogramDto? QueryLatency,
    IReadOnlyList<LabeledCountDto>? DataQuality,
    IReadOnlyList<LabeledCountDto>? DeadLetteredByReason,
    IReadOnlyList<string> Missing);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(DashboardDto))]
[JsonSerializable(typeof(IReadOnlyList<DashboardDto>))]
public sealed partial class DashboardJsonContext : JsonSerializerContext;

/// <summary>Builds <see cref="DashboardDto"/> from registry samples: pure, so every choice is unit-tested.</summary>
public static class DashboardData
{
    public const string RecommendationsRoute = "/users/{userId}/recommendations";

    // Counter name → series (summed over their labels). The first of each list that the registry has wins.
    private static readonly (string Key, string[] Metrics)[] CounterSources =
    [
        ("eventsApplied", ["personalization_events_applied_total"]),
        ("recordsConsumed", ["personalization_kafka_records_consumed_total"]),
        ("eventsDurable", ["personalization_events_durable_total"]),
        ("deadLettered", ["personalization_dlq_records_total", "personalization_ingest_dead_lettered_total"]),
        ("duplicates", ["personalization_events_duplicate_total"]),
        ("misrouted", ["personalization_ingest_misrouted_total"]),
        ("outOfOrder", ["personalization_events_out_of_order_total"]),
        ("ingestRestarts", ["personalization_ingest_restarts_total"]),
        ("recommendations", ["personalization_recommendations_total"]),
        ("degraded", ["personalization_recommendations_degraded_total"]),
        ("checkpoints", ["personalization_checkpoints_persisted_total"]),
    ];

    public static DashboardDto Build(
        IReadOnlyList<MetricSample> samples, long time, string node, string? modelName, string? modelVersion, DashboardClusterDto cluster,
        IReadOnlyList<(int Partition, long Committable, long Committed)> partitions)
    {
        var byName = samples.GroupBy(s => s.Name).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        var missing = new List<string>();
        var counters = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, metrics) in CounterSources)
        {
            var found = metrics.FirstOrDefault(byName.ContainsKey);
            counters[key] = found is null ? 0 : byName[found].Sum(s => s.Value);
        }

        double? PerPartition(string metric, int partition) =>
            byName.TryGetValue(metric, out var series) && series.Where(s => s.Label("partition") == partition.ToString(CultureInfo.InvariantCulture)).ToArray() is { Length: > 0 } mine
                ? mine.Max(s => s.Value)
                : null;

        if (!byName.ContainsKey("personalization_kafka_consumer_lag")) missing.Add("lag");
        var rows = partitions
            .OrderBy(p => p.Partition)
            .Select(p => new DashboardPartitionDto(
                p.Partition, p.Committed, p.Committable,
                PerPartition("personalization_kafka_consumer_lag", p.Partition) is { } lag && lag >= 0 ? lag : null,
                PerPartition("personalization_kafka_high_watermark", p.Partition) is { } hw && hw >= 0 ? hw : null,
                PerPartition("personalization_kafka_partition_records_per_second", p.Partition) is { } rate && rate >= 0 ? rate : null))
            .ToArray();

        var freshness = Histogram(byName, "personalization_event_freshness_seconds", _ => true);
        var latency = Histogram(byName, "personalization_http_request_duration_seconds", s => s.Label("route") == RecommendationsRoute)
                      ?? Histogram(byName, "http_request_duration_seconds", s => s.Label("endpoint") == RecommendationsRoute);
        if (latency is null) missing.Add("queryLatency");

        IReadOnlyList<LabeledCountDto>? quality = null;
        if (byName.TryGetValue("personalization_data_quality_total", out var signals))
            quality = signals.GroupBy(s => s.Label("signal")).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new LabeledCountDto(g.Key, g.Sum(s => s.Value))).ToArray();
        else missing.Add("dataQuality");

        IReadOnlyList<LabeledCountDto>? reasons = null;
        if (byName.TryGetValue("personalization_dlq_records_total", out var dlq))
            reasons = dlq.GroupBy(s => s.Label("reason")).Select(g => new LabeledCountDto(g.Key, g.Sum(s => s.Value))).Where(r => r.Count > 0).OrderByDescending(r => r.Count).ToArray();
        else missing.Add("deadLetteredByReason");

        return new DashboardDto(time, node, modelName, modelVersion, cluster, counters, rows, freshness, latency, quality, reasons, missing);
    }

    /// <summary>The histogram's series that <paramref name="take"/> selects, summed bucket by bucket; null when none.</summary>
    private static HistogramDto? Histogram(Dictionary<string, MetricSample[]> byName, string metric, Func<MetricSample, bool> take)
    {
        if (!byName.TryGetValue(metric + "_bucket", out var buckets)) return null;
        var chosen = buckets.Where(take).ToArray();
        if (chosen.Length == 0) return null;
        var summed = chosen
            .GroupBy(b => double.Parse(b.Label("le") is "+Inf" ? "Infinity" : b.Label("le"), NumberStyles.Float, CultureInfo.InvariantCulture))
            .OrderBy(g => g.Key)
            .Select(g => new BucketDto(double.IsPositiveInfinity(g.Key) ? double.MaxValue : g.Key, g.Sum(b => b.Value)))
            .ToArray();
        double Sum(string suffix) => byName.TryGetValue(metric + suffix, out var s) ? s.Where(take).Sum(x => x.Value) : 0;
        return new HistogramDto(metric, summed, Sum("_count"), Sum("_sum"));
    }
}
