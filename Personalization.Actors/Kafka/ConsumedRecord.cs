using Akka.Actor;
using Personalization.Actors.Sessions;

namespace Personalization.Actors.Kafka;

/// <summary>
/// One Kafka record as the source emits it. <see cref="AckTo"/> is the source stage: tell it
/// <see cref="EventsDurable"/> once the record is durable (or dead-lettered) so its offset can be committed.
/// </summary>
public sealed record ConsumedRecord(
    string Topic,
    int Partition,
    long Offset,
    byte[]? Key,
    byte[]? Value,
    long TimestampMs,
    IActorRef AckTo)
{
    /// <summary>
    /// How many times the source has rewound this partition (see <see cref="RedeliveryNeeded"/>); records of a newer
    /// generation re-deliver offsets from the oldest unacknowledged one on.
    /// </summary>
    public long Generation { get; internal set; }

    /// <summary>Acknowledges this one record (a user actor acknowledges batches with <see cref="EventsDurable"/> itself).</summary>
    public void Ack() => AckTo.Tell(new EventsDurable(Partition, [Offset]), ActorRefs.NoSender);
}
