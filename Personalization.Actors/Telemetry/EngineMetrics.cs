using Prometheus;

namespace Personalization.Actors.Telemetry;

/// <summary>Counters of the user side of the engine, exported on /metrics.</summary>
public static class EngineMetrics
{
    public static readonly Counter EventsApplied = Metrics.CreateCounter(
        "personalization_events_applied_total", "Events applied to user sessions (first delivery only).");

    public static readonly Counter DuplicatesSkipped = Metrics.CreateCounter(
        "personalization_events_duplicate_total", "Redelivered events recognised by their offset and not applied again.");

    public static readonly Counter ModelSteps = Metrics.CreateCounter(
        "personalization_model_steps_total", "Model steps applied to user states.");

    public static readonly Counter CheckpointsPersisted = Metrics.CreateCounter(
        "personalization_checkpoints_persisted_total", "User checkpoints written to the journal.");

    public static readonly Counter EventsAcknowledged = Metrics.CreateCounter(
        "personalization_events_durable_total", "Event offsets acknowledged to the Kafka source after their checkpoint was durable.");

    public static readonly Counter Recommendations = Metrics.CreateCounter(
        "personalization_recommendations_total", "Recommendation queries answered.", new CounterConfiguration { LabelNames = ["source"] });

    public static readonly Counter EventsOutOfOrder = Metrics.CreateCounter(
        "personalization_events_out_of_order_total", "Events dropped because their predecessor was lost on the way (the source re-reads them in order).");

    public static readonly Counter RemoteDeliveries = Metrics.CreateCounter(
        "personalization_events_remote_total", "Events that reached their user on another node than the one that consumed them (partition-aligned shards keep this at 0).");

    public static readonly Counter StepFailures = Metrics.CreateCounter(
        "personalization_model_step_failures_total", "Model steps that failed and were retried.");
}
