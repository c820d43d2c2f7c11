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

    /// <summary>
    /// Freshness: the event's own timestamp (set by the producer) to the moment the state reflecting it is live, i.e.
    /// visible to queries. Observed once per applied event (a bucket search and two interlocked adds); clocks of other
    /// hosts skew it, so it is meaningful when producers' clocks are synchronised (always in the benchmarks).
    /// </summary>
    public static readonly Histogram Freshness = Metrics.CreateHistogram(
        "personalization_event_freshness_seconds", "Event timestamp to applied (visible in recommendations).",
        new HistogramConfiguration
        {
            Buckets = [0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60],
        });

    public static readonly Counter StepFailures = Metrics.CreateCounter(
        "personalization_model_step_failures_total", "Model steps that failed and were retried.");

    /// <summary>Steps of companion models (docs/DESIGN.md, "The user session": companion states), items stepped.</summary>
    public static readonly Counter CompanionSteps = Metrics.CreateCounter(
        "personalization_companion_steps_total", "Model steps applied to companion states (models kept beside the serving one, for interleaving and shadow scoring).");

    public static readonly Counter CompanionStepFailures = Metrics.CreateCounter(
        "personalization_companion_step_failures_total", "Companion steps that failed: that companion's state was dropped and is rebuilt from the recent items on its next use.");

    public static readonly Counter CheckpointWriteRetries = Metrics.CreateCounter(
        "personalization_checkpoint_write_retries_total", "Checkpoint batches written again after a transient database error (down, restarting, disk full).");

    /// <summary>One group-commit transaction (a batch of many users' checkpoints), transient-error retries included.</summary>
    public static readonly Histogram CheckpointWriteSeconds = Metrics.CreateHistogram(
        "personalization_checkpoint_write_seconds", "Duration of one checkpoint batch write (one transaction, retries of transient errors included).",
        new HistogramConfiguration { Buckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60] });

    public static readonly Histogram CheckpointBatchRows = Metrics.CreateHistogram(
        "personalization_checkpoint_batch_rows", "Checkpoints (rows) per group-commit transaction.",
        new HistogramConfiguration { Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096] });

    public static readonly Counter CheckpointWriteFailures = Metrics.CreateCounter(
        "personalization_checkpoint_write_failures_total", "Checkpoint batches that failed (after retrying transient errors): their users' actors restart.");

    public static readonly Counter Passivations = Metrics.CreateCounter(
        "personalization_users_passivated_total", "Idle users stopped by their shard (passivation; they checkpoint first).");

    public static readonly Counter HandOffStops = Metrics.CreateCounter(
        "personalization_users_handed_off_total", "Users stopped while active: their shard moved (hand-off) or the node left.");

    public static readonly Counter CheckpointReadRetries = Metrics.CreateCounter(
        "personalization_checkpoint_read_retries_total", "Recovery reads (batches) tried again after a transient database error (down, restarting).");
}
