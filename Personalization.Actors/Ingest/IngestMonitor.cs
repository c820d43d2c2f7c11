using System.Diagnostics;
using System.Globalization;
using Personalization.Actors.Kafka.Source;
using Personalization.Actors.Quality;
using Personalization.Actors.Telemetry;
using Prometheus;

namespace Personalization.Actors.Ingest;

/// <summary>
/// One owned partition as the ingest monitor last saw it (README, "Data quality"). -1: unknown (not sampled yet, or
/// the broker did not answer).
/// </summary>
/// <param name="HighWatermark">The partition's end: the offset its next record gets.</param>
/// <param name="Lag">High watermark − committed position (Kafka's consumer-group lag).</param>
/// <param name="UnacknowledgedLag">High watermark − end of the acknowledged (durable) prefix.</param>
/// <param name="RecordsPerSecond">How fast the high watermark grew over the last sample interval: the producers' rate into the partition.</param>
/// <param name="RateDropped">The rate is in a sudden drop (<see cref="RateDropDetector"/>).</param>
/// <param name="DeadLetteredPerSecond">Records of the partition written to the DLQ per second over the last interval.</param>
public sealed record PartitionHealth(
    int Partition,
    long HighWatermark,
    long Lag,
    long UnacknowledgedLag,
    double RecordsPerSecond,
    bool RateDropped,
    double DeadLetteredPerSecond);

/// <summary>What the monitor reads: the running source (production: <see cref="KafkaSourceControl"/>), or a fake in tests.</summary>
internal interface IIngestProbe
{
    IReadOnlyCollection<int> AssignedPartitions { get; }

    KafkaSourceStatus Status();

    bool TryQueryWatermarks(int partition, TimeSpan timeout, out long low, out long high);

    bool TryQueryCommitted(int partition, TimeSpan timeout, out long committed);
}

/// <summary>
/// Samples every owned partition each <see cref="DataQualitySettings.SampleInterval"/> on a thread of its own — not the
/// poll thread, not per record: its watermarks (asked of the broker), hence the consumer lag against the committed
/// and the acknowledged positions, the partition's record rate (the high watermark's growth) fed to a
/// <see cref="RateDropDetector"/>, and its DLQ rate. Exports them as gauges labelled by topic, group and partition, and
/// removes a partition's series when it moves away (another node reports it then). One monitor per running stream.
/// </summary>
internal sealed class IngestMonitor : IDisposable
{
    private static readonly string[] Labels = ["topic", "group", "partition"];

    private static readonly Gauge HighWatermarkGauge = Metrics.CreateGauge(
        "personalization_kafka_high_watermark", "The partition's high watermark (end offset) as last asked of its leader.", Labels);

    private static readonly Gauge LagGauge = Metrics.CreateGauge(
        "personalization_kafka_consumer_lag", "Records from the committed position to the high watermark, per owned partition (the consumer group's lag).", Labels);

    private static readonly Gauge UnacknowledgedLagGauge = Metrics.CreateGauge(
        "personalization_kafka_unacknowledged_lag", "Records from the end of the acknowledged (durable) prefix to the high watermark, per owned partition.", Labels);

    private static readonly Gauge RateGauge = Metrics.CreateGauge(
        "personalization_kafka_partition_records_per_second", "Growth of the partition's high watermark per second over the last sample: the producers' rate into it.", Labels);

    private readonly IIngestProbe _probe;
    private readonly DataQualitySettings _settings;
    private readonly string _topic;
    private readonly string _group;
    private readonly Dictionary<int, PartitionState> _partitions = [];
    private readonly ManualResetEventSlim _stop = new(false, spinCount: 0);
    private readonly Thread? _thread;
    private volatile IReadOnlyDictionary<int, PartitionHealth> _snapshot = new Dictionary<int, PartitionHealth>();
    private int _disposed;

    private sealed class PartitionState(int partition, string[] labels, RateDropSettings rateDrop)
    {
        public readonly int Partition = partition;
        public readonly string[] Labels = labels;
        public readonly RateDropDetector Detector = new(rateDrop);
        public long LastHigh = -1;
        public long LastSampledAt;
        public long LastDeadLettered = -1;
        public double Rate = -1;
        public double DeadLetteredRate;
    }

    /// <param name="start">False: no thread; the tests call <see cref="Sample"/>.</param>
    public IngestMonitor(IIngestProbe probe, string topic, string group, DataQualitySettings settings, bool start = true)
    {
        if (settings.Problem() is { } problem) throw new ArgumentException(problem, nameof(settings));
        _probe = probe;
        _topic = topic;
        _group = group;
        _settings = settings;
        if (!start) return;
        _thread = new Thread(Run) { IsBackground = true, Name = $"ingest-monitor:{topic}" };
        _thread.Start();
    }

    /// <summary>The owned partitions as last sampled, by partition.</summary>
    public IReadOnlyDictionary<int, PartitionHealth> Snapshot => _snapshot;

    private void Run()
    {
        while (!_stop.IsSet)
        {
            try
            {
                Sample(Stopwatch.GetTimestamp());
            }
            catch (Exception)
            {
                // A monitor never takes ingest down; the next round tries again.
            }

            // Until the first partition is sampled (the group assigns them after start-up), look again soon.
            _stop.Wait(_snapshot.Count == 0 && _settings.SampleInterval > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : _settings.SampleInterval);
        }
    }

    /// <summary>One round over the owned partitions at <paramref name="now"/> (<see cref="Stopwatch"/> ticks).</summary>
    public void Sample(long now)
    {
        var assigned = _probe.AssignedPartitions.ToHashSet();
        foreach (var gone in _partitions.Keys.Where(p => !assigned.Contains(p)).ToList()) Forget(gone);
        var positions = _probe.Status().Partitions.ToDictionary(p => p.Partition);
        var snapshot = new Dictionary<int, PartitionHealth>(assigned.Count);
        foreach (var partition in assigned.Order())
        {
            if (_stop.IsSet) return;
            if (!_partitions.TryGetValue(partition, out var state))
            {
                DataQualityMetrics.Touch(partition);
                state = new PartitionState(partition, [_topic, _group, partition.ToString(CultureInfo.InvariantCulture)], _settings.RateDrop);
                _partitions[partition] = state;
            }

            snapshot[partition] = SamplePartition(state, positions.GetValueOrDefault(partition), now);
        }

        _snapshot = snapshot;
    }

    private PartitionHealth SamplePartition(PartitionState state, PartitionPosition? position, long now)
    {
        var partition = state.Partition;
        var elapsed = state.LastSampledAt == 0 ? 0 : Stopwatch.GetElapsedTime(state.LastSampledAt, now).TotalSeconds;
        var deadLettered = DataQualityMetrics.DeadLetterTotal(partition);
        if (state.LastDeadLettered >= 0 && elapsed > 0) state.DeadLetteredRate = Math.Max(0, deadLettered - state.LastDeadLettered) / elapsed;
        state.LastDeadLettered = deadLettered;

        long lag = -1, unacknowledged = -1, high = -1;
        if (_probe.TryQueryWatermarks(partition, _settings.QueryTimeout, out var low, out high))
        {
            var committed = position?.Committed ?? -1;
            var groupCommitted = -1L;
            if (committed < 0 && !_probe.TryQueryCommitted(partition, _settings.QueryTimeout, out groupCommitted)) groupCommitted = -1;
            (lag, unacknowledged) = ConsumerLag.Of(high, low, committed, position?.Committable ?? -1, groupCommitted);
            HighWatermarkGauge.WithLabels(state.Labels).Set(high);
            LagGauge.WithLabels(state.Labels).Set(lag);
            UnacknowledgedLagGauge.WithLabels(state.Labels).Set(unacknowledged);

            if (state.LastHigh >= 0 && elapsed > 0)
            {
                if (high < state.LastHigh)
                {
                    // The partition was recreated (its end went back): what was learnt about its rate is void.
                    state.Rate = -1;
                }
                else
                {
                    state.Rate = (high - state.LastHigh) / elapsed;
                    RateGauge.WithLabels(state.Labels).Set(state.Rate);
                    switch (state.Detector.Observe(state.Rate))
                    {
                        case RateDropChange.Dropped:
                            DataQualityMetrics.Count(DataQualitySignal.RateDrop, partition);
                            DataQualityMetrics.SetRateDropped(partition, true);
                            break;
                        case RateDropChange.Recovered or RateDropChange.Accepted:
                            DataQualityMetrics.SetRateDropped(partition, false);
                            break;
                    }
                }
            }

            state.LastHigh = high;
        }

        state.LastSampledAt = now;
        return new PartitionHealth(partition, high, lag, unacknowledged, state.Rate, state.Detector.Dropped, state.DeadLetteredRate);
    }

    private void Forget(int partition)
    {
        var state = _partitions[partition];
        _partitions.Remove(partition);
        HighWatermarkGauge.RemoveLabelled(state.Labels);
        LagGauge.RemoveLabelled(state.Labels);
        UnacknowledgedLagGauge.RemoveLabelled(state.Labels);
        RateGauge.RemoveLabelled(state.Labels);
        DataQualityMetrics.SetRateDropped(partition, false);
    }

    /// <summary>Stops the thread (it may finish a query first) and removes this monitor's series.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Set();
        // A thread still in a query (a broker that does not answer) ends by itself after it; its series stay until then.
        if (_thread is not null && _thread != Thread.CurrentThread && !_thread.Join(_settings.QueryTimeout * 2 + TimeSpan.FromSeconds(1))) return;
        foreach (var partition in _partitions.Keys.ToList()) Forget(partition);
        _snapshot = new Dictionary<int, PartitionHealth>();
    }
}
