using System.Diagnostics;
using Personalization.Actors.Ingest;
using Personalization.Actors.Kafka.Source;
using Personalization.Actors.Quality;
using Personalization.Actors.Telemetry;
using Prometheus;
using Xunit;

namespace Personalization.Tests.Quality;

/// <summary>The ingest monitor against a fake source: lag, rates, rate drops and DLQ rates per partition, and its series.</summary>
public sealed class IngestMonitorTests
{
    // Partitions no other test uses: the data-quality counters are the process's.
    private const int P = 900;
    private const int Q = 901;

    private sealed class FakeProbe : IIngestProbe
    {
        public HashSet<int> Assigned { get; } = [];
        public Dictionary<int, (long Low, long High)> Watermarks { get; } = [];
        public Dictionary<int, PartitionPosition> Positions { get; } = [];
        public Dictionary<int, long> GroupCommitted { get; } = [];

        public IReadOnlyCollection<int> AssignedPartitions => Assigned.ToArray();

        public KafkaSourceStatus Status() => new(Positions.Values.ToList(), 0, 0, 0);

        public bool TryQueryWatermarks(int partition, TimeSpan timeout, out long low, out long high)
        {
            (low, high) = Watermarks.TryGetValue(partition, out var w) ? w : (-1, -1);
            return high >= 0;
        }

        public bool TryQueryCommitted(int partition, TimeSpan timeout, out long committed) =>
            GroupCommitted.TryGetValue(partition, out committed) || (committed = -1) < 0;
    }

    private static readonly DataQualitySettings Settings = new()
    {
        RateDrop = new RateDropSettings { WarmupSamples = 2, MinBaselinePerSecond = 1 },
    };

    private static long Seconds(double s) => (long)(s * Stopwatch.Frequency) + 1;

    private static double Gauge(string name, string topic, int partition) =>
        Metrics.CreateGauge(name, "", "topic", "group", "partition").WithLabels(topic, "g", partition.ToString()).Value;

    [Fact]
    public void Samples_lag_rate_and_dlq_rate_per_owned_partition_and_flags_a_sudden_drop()
    {
        var topic = "monitor-" + Guid.NewGuid().ToString("N")[..8];
        var probe = new FakeProbe();
        probe.Assigned.Add(P);
        probe.Positions[P] = new PartitionPosition(P, 150, 140);
        probe.Watermarks[P] = (0, 200);
        using var monitor = new IngestMonitor(probe, topic, "g", Settings, start: false);

        monitor.Sample(Seconds(1));
        var first = monitor.Snapshot[P];
        Assert.Equal((200L, 60L, 50L), (first.HighWatermark, first.Lag, first.UnacknowledgedLag));
        Assert.Equal(-1, first.RecordsPerSecond); // one sample: no rate yet
        Assert.Equal(60, Gauge("personalization_kafka_consumer_lag", topic, P));
        Assert.Equal(50, Gauge("personalization_kafka_unacknowledged_lag", topic, P));
        Assert.Equal(200, Gauge("personalization_kafka_high_watermark", topic, P));

        // 100 records/s arrive for three samples; 4 records of the partition are dead-lettered in the second.
        var drops = DataQualityMetrics.Value(DataQualitySignal.RateDrop, P);
        probe.Watermarks[P] = (0, 300);
        monitor.Sample(Seconds(2));
        for (var i = 0; i < 4; i++) DataQualityMetrics.CountDeadLetter(DeadLetterReason.MalformedJson, P);
        probe.Watermarks[P] = (0, 400);
        monitor.Sample(Seconds(3));
        var steady = monitor.Snapshot[P];
        Assert.Equal(100, steady.RecordsPerSecond, 3);
        Assert.Equal(4, steady.DeadLetteredPerSecond, 3);
        Assert.False(steady.RateDropped);
        Assert.Equal(100, Gauge("personalization_kafka_partition_records_per_second", topic, P), 3);

        // Then 5 records/s: a drop, counted once, the gauge says so; back to 100/s: recovered.
        probe.Watermarks[P] = (0, 405);
        monitor.Sample(Seconds(4));
        Assert.True(monitor.Snapshot[P].RateDropped);
        Assert.Equal(0, monitor.Snapshot[P].DeadLetteredPerSecond);
        probe.Watermarks[P] = (0, 407);
        monitor.Sample(Seconds(5));
        Assert.Equal(drops + 1, DataQualityMetrics.Value(DataQualitySignal.RateDrop, P));
        Assert.Equal(1, Metrics.CreateGauge("personalization_data_quality_rate_dropped", "", "partition").WithLabels(P.ToString()).Value);
        probe.Watermarks[P] = (0, 507);
        monitor.Sample(Seconds(6));
        Assert.False(monitor.Snapshot[P].RateDropped);
        Assert.Equal(0, Metrics.CreateGauge("personalization_data_quality_rate_dropped", "", "partition").WithLabels(P.ToString()).Value);
    }

    [Fact]
    public async Task A_partition_without_commits_counts_from_the_groups_offset_and_a_revoked_one_stops_reporting()
    {
        var topic = "monitor-" + Guid.NewGuid().ToString("N")[..8];
        var probe = new FakeProbe();
        probe.Assigned.Add(Q);
        probe.Positions[Q] = new PartitionPosition(Q, -1, -1);
        probe.Watermarks[Q] = (10, 500);
        probe.GroupCommitted[Q] = 480;
        using var monitor = new IngestMonitor(probe, topic, "g", Settings, start: false);

        monitor.Sample(Seconds(1));
        Assert.Equal(20, monitor.Snapshot[Q].Lag);

        probe.Assigned.Clear();
        monitor.Sample(Seconds(2));
        Assert.Empty(monitor.Snapshot);
        var exported = new MemoryStream();
        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(exported);
        Assert.DoesNotContain($"topic=\"{topic}\"", System.Text.Encoding.UTF8.GetString(exported.ToArray()));
    }

    [Fact]
    public void A_broker_that_does_not_answer_leaves_the_lag_unknown()
    {
        var probe = new FakeProbe();
        probe.Assigned.Add(Q);
        using var monitor = new IngestMonitor(probe, "monitor-none", "g", Settings, start: false);
        monitor.Sample(Seconds(1));
        Assert.Equal((-1L, -1L, -1.0), (monitor.Snapshot[Q].Lag, monitor.Snapshot[Q].HighWatermark, monitor.Snapshot[Q].RecordsPerSecond));
    }
}
