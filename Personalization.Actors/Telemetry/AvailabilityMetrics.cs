using Prometheus;

namespace Personalization.Actors.Telemetry;

/// <summary>The item-availability reader of this node (docs/DESIGN.md, "Business filters"), exported on /metrics.</summary>
public static class AvailabilityMetrics
{
    public static readonly Gauge WithdrawnItems = Metrics.CreateGauge(
        "personalization_availability_withdrawn_items", "Items withdrawn cluster-wide, as this node's latest availability snapshot has them.");

    public static readonly Counter Records = Metrics.CreateCounter(
        "personalization_availability_records_total",
        "Records of the availability topic read by this node, by outcome (applied, invalid: dead-lettered or already in the topic at start).",
        new CounterConfiguration { LabelNames = ["outcome"] });

    public static readonly Counter.Child Applied = Records.WithLabels("applied");

    public static readonly Counter.Child Invalid = Records.WithLabels("invalid");

    public static readonly Gauge LastAppliedLag = Metrics.CreateGauge(
        "personalization_availability_last_applied_lag_seconds",
        "From the last availability record's Kafka timestamp to its being applied on this node (records that arrived after the start-up read).");

    public static readonly Gauge CaughtUp = Metrics.CreateGauge(
        "personalization_availability_caught_up", "1 once this node has read the availability topic up to the end offsets it had at start.");
}
