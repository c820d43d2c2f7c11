using Personalization.Actors.Delivery;
namespace Personalization.Actors.Kafka.Source;

/// <summary>
/// One Kafka record as the source emits it. Acknowledge it (once durable or dead-lettered) by telling the source's
/// <see cref="IKafkaSourceControl.AckTarget"/> an <see cref="Delivery.EventsDurable"/>, so its offset can be committed.
/// </summary>
public sealed record ConsumedRecord(
    string Topic,
    int Partition,
    long Offset,
    byte[]? Key,
    byte[]? Value,
    long TimestampMs)
{
    /// <summary>
    /// How many times the source has rewound this partition (see <see cref="Delivery.RedeliveryNeeded"/>); records of a
    /// newer generation re-deliver offsets from the oldest unacknowledged one on.
    /// </summary>
    public long Generation { get; internal set; }
}
