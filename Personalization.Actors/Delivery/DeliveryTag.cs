using Akka.Actor;

namespace Personalization.Actors.Delivery;

/// <summary>
/// Where an event sits in its Kafka partition and where its acknowledgement goes (docs/DESIGN.md, "Delivery protocol").
/// <see cref="PreviousOffset"/> is the offset of the same user's previous event in the same partition while that one
/// was still unacknowledged (-1: none): a user that has not applied it knows an event went missing on the way.
/// Events that did not come from Kafka (tests, tools) have <see cref="Offset"/> -1 and no <see cref="AckTo"/>.
/// </summary>
public readonly record struct DeliveryTag(int Partition, long Offset, long PreviousOffset, IActorRef? AckTo)
{
    /// <summary>An event with no Kafka position: never a duplicate, never acknowledged.</summary>
    public static DeliveryTag Untracked { get; } = new(0, -1, -1, null);

    /// <summary>The event has a Kafka offset (duplicates are recognised by it).</summary>
    public bool HasOffset => Offset >= 0;

    /// <summary>The source waits for this event's acknowledgement before it commits past it.</summary>
    public bool NeedsAck => Offset >= 0 && AckTo is not null;
}
