using Prometheus;

namespace Personalization.Actors.Kafka.Source;

/// <summary>Prometheus series of one source (labelled by topic and group); children are cached, hot paths add in batches.</summary>
internal sealed class KafkaSourceMetrics
{
    private static readonly Counter ConsumedTotal = Metrics.CreateCounter(
        "personalization_kafka_records_consumed_total", "Records fetched from Kafka by the event source.", "topic", "group");

    private static readonly Counter AckedTotal = Metrics.CreateCounter(
        "personalization_kafka_records_acked_total", "Records acknowledged as durable (or dead-lettered).", "topic", "group");

    private static readonly Gauge CommittedOffset = Metrics.CreateGauge(
        "personalization_kafka_committed_offset", "Last offset committed (next offset to read) per partition.", "topic", "group", "partition");

    private static readonly Gauge InFlightRecords = Metrics.CreateGauge(
        "personalization_kafka_in_flight_records", "Records emitted and not yet acknowledged.", "topic", "group");

    private static readonly Gauge BufferedRecords = Metrics.CreateGauge(
        "personalization_kafka_buffered_records", "Records fetched and not yet emitted.", "topic", "group");

    private static readonly Gauge PausedPartitionsGauge = Metrics.CreateGauge(
        "personalization_kafka_paused_partitions", "Partitions paused because too many of their records are in flight.", "topic", "group");

    private static readonly Counter RewindsTotal = Metrics.CreateCounter(
        "personalization_kafka_rewinds_total", "Partitions read again from their oldest unacknowledged record.", "topic", "group", "reason");

    private readonly string _topic;
    private readonly string _group;

    public KafkaSourceMetrics(string topic, string group)
    {
        _topic = topic;
        _group = group;
        Consumed = ConsumedTotal.WithLabels(topic, group);
        Acked = AckedTotal.WithLabels(topic, group);
        InFlight = InFlightRecords.WithLabels(topic, group);
        Buffered = BufferedRecords.WithLabels(topic, group);
        PausedPartitions = PausedPartitionsGauge.WithLabels(topic, group);
    }

    public Counter.Child Rewinds(string reason) => RewindsTotal.WithLabels(_topic, _group, reason);

    public Counter.Child Consumed { get; }
    public Counter.Child Acked { get; }
    public Gauge.Child InFlight { get; }
    public Gauge.Child Buffered { get; }
    public Gauge.Child PausedPartitions { get; }

    public void SetCommitted(int partition, long offset) =>
        CommittedOffset.WithLabels(_topic, _group, partition.ToString(System.Globalization.CultureInfo.InvariantCulture)).Set(offset);

    /// <summary>Committed offset gauge value (tests and diagnostics), or -1 if never committed here.</summary>
    public static double CommittedGaugeValue(string topic, string group, int partition) =>
        CommittedOffset.WithLabels(topic, group, partition.ToString(System.Globalization.CultureInfo.InvariantCulture)).Value;
}
