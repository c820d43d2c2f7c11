namespace Personalization.Actors.Quality;

/// <summary>
/// What the data-quality monitors count per partition (README, "Data quality"; docs/DESIGN.md, "Data quality"). Each
/// is a label value of <c>personalization_data_quality_total{signal}</c>; records that go to the dead-letter queue are
/// counted by reason class instead (<see cref="DeadLetterReason"/>, <c>personalization_dlq_records_total{reason}</c>).
/// </summary>
public enum DataQualitySignal
{
    /// <summary>The event's item is not in the vocabulary of the model that serves its user (recorded, not stepped).</summary>
    UnknownItem,

    /// <summary>The event's timestamp is earlier than the latest one its user already had (applied all the same, in arrival order).</summary>
    OutOfTimeOrder,

    /// <summary>The event's timestamp is further ahead of the node's clock than <c>Quality:FutureToleranceSeconds</c>.</summary>
    FutureTimestamp,

    /// <summary>The event's timestamp is further behind the node's clock than <c>Quality:PastToleranceSeconds</c>.</summary>
    PastTimestamp,

    /// <summary>An offset its user had applied already (a redelivery after a restart, rebalance or rewind; skipped).</summary>
    DuplicateOffset,

    /// <summary>A record whose user hashes (murmur2) to another partition than the one it arrived on (still delivered).</summary>
    Misrouted,

    /// <summary>The partition's rate dropped suddenly (<see cref="RateDropDetector"/>): counted once per drop.</summary>
    RateDrop,
}

public static class DataQualitySignals
{
    public static readonly DataQualitySignal[] All = Enum.GetValues<DataQualitySignal>();

    /// <summary>The label value (snake case): <c>unknown_item</c>, <c>out_of_time_order</c>, …</summary>
    public static string LabelOf(DataQualitySignal signal) => signal switch
    {
        DataQualitySignal.UnknownItem => "unknown_item",
        DataQualitySignal.OutOfTimeOrder => "out_of_time_order",
        DataQualitySignal.FutureTimestamp => "future_timestamp",
        DataQualitySignal.PastTimestamp => "past_timestamp",
        DataQualitySignal.DuplicateOffset => "duplicate_offset",
        DataQualitySignal.Misrouted => "misrouted",
        DataQualitySignal.RateDrop => "rate_drop",
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, null),
    };
}
