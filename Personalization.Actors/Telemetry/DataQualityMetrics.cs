using System.Globalization;
using Personalization.Actors.Quality;
using Prometheus;

namespace Personalization.Actors.Telemetry;

/// <summary>
/// The data-quality counters, per partition (README, "Data quality"): <c>personalization_data_quality_total{partition,
/// signal}</c> and <c>personalization_dlq_records_total{partition, reason}</c>. A partition's series are all created
/// the first time it is touched (assigned to this node, or an event of it counted), at 0, so rates start from a
/// known value. On the hot path a count is an array lookup and one counter increment: nothing is allocated.
/// Counts are the process's since it started (one node per process in production).
/// </summary>
public static class DataQualityMetrics
{
    private static readonly Counter Signals = Metrics.CreateCounter(
        "personalization_data_quality_total",
        "Data-quality findings per partition: unknown_item, out_of_time_order, future_timestamp, past_timestamp, duplicate_offset, misrouted, rate_drop (README, Data quality).",
        "partition", "signal");

    private static readonly Counter DeadLettered = Metrics.CreateCounter(
        "personalization_dlq_records_total",
        "Records written to the dead-letter queue per partition, by reason class (every class but internal_error is a schema violation).",
        "partition", "reason");

    private static readonly Gauge RateDroppedGauge = Metrics.CreateGauge(
        "personalization_data_quality_rate_dropped",
        "1 while the partition's record rate is in a sudden drop (RateDropDetector), else 0.", "partition");

    private static readonly Lock Gate = new();
    private static volatile PartitionCounters?[] _partitions = [];

    private sealed class PartitionCounters(int partition)
    {
        public readonly Counter.Child[] Signals = DataQualitySignals.All
            .Select(s => DataQualityMetrics.Signals.WithLabels(Label(partition), DataQualitySignals.LabelOf(s))).ToArray();

        public readonly Counter.Child[] DeadLettered = DeadLetterReasons.All
            .Select(r => DataQualityMetrics.DeadLettered.WithLabels(Label(partition), DeadLetterReasons.LabelOf(r))).ToArray();

        public readonly Gauge.Child RateDropped = RateDroppedGauge.WithLabels(Label(partition));
    }

    /// <summary>Creates the partition's series (at 0) if they do not exist yet.</summary>
    public static void Touch(int partition) => For(partition);

    public static void Count(DataQualitySignal signal, int partition) => For(partition).Signals[(int)signal].Inc();

    public static void Count(DataQualitySignal signal, int partition, int count) => For(partition).Signals[(int)signal].Inc(count);

    public static void CountDeadLetter(DeadLetterReason reason, int partition) => For(partition).DeadLettered[(int)reason].Inc();

    public static void SetRateDropped(int partition, bool dropped) => For(partition).RateDropped.Set(dropped ? 1 : 0);

    public static long Value(DataQualitySignal signal, int partition) => Existing(partition) is { } c ? (long)c.Signals[(int)signal].Value : 0;

    public static long DeadLetterValue(DeadLetterReason reason, int partition) => Existing(partition) is { } c ? (long)c.DeadLettered[(int)reason].Value : 0;

    /// <summary>Every reason of the partition together.</summary>
    public static long DeadLetterTotal(int partition)
    {
        if (Existing(partition) is not { } c) return 0;
        double sum = 0;
        foreach (var child in c.DeadLettered) sum += child.Value;
        return (long)sum;
    }

    /// <summary>The partitions counted in this process so far, ascending.</summary>
    public static IReadOnlyList<int> Partitions()
    {
        var all = _partitions;
        var list = new List<int>();
        for (var p = 0; p < all.Length; p++)
            if (all[p] is not null) list.Add(p);
        return list;
    }

    private static PartitionCounters? Existing(int partition)
    {
        var all = _partitions;
        return (uint)partition < (uint)all.Length ? all[partition] : null;
    }

    private static PartitionCounters For(int partition)
    {
        var all = _partitions;
        if ((uint)partition < (uint)all.Length && all[partition] is { } counters) return counters;
        return Create(partition);
    }

    private static PartitionCounters Create(int partition)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        lock (Gate)
        {
            var all = _partitions;
            if (partition < all.Length && all[partition] is { } existing) return existing;
            var grown = new PartitionCounters?[Math.Max(all.Length, partition + 1)];
            Array.Copy(all, grown, all.Length);
            var created = new PartitionCounters(partition);
            grown[partition] = created;
            _partitions = grown;
            return created;
        }
    }

    private static string Label(int partition) => partition.ToString(CultureInfo.InvariantCulture);
}
