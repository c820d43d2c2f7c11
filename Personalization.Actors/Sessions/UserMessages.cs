using Akka.Actor;
using Personalization.Actors.Events;

namespace Personalization.Actors.Sessions;

/// <summary>Every message addressed to one user's actor; sharding routes on <see cref="UserId"/>.</summary>
public interface IUserMessage
{
    string UserId { get; }
}

/// <summary>
/// One consumed event for a user. <see cref="Partition"/>/<see cref="Offset"/> identify it in Kafka (duplicates are
/// detected with them); once the user's checkpoint covering it is durable, the actor tells <see cref="AckTo"/>
/// an <see cref="EventsDurable"/>. Events that did not come from Kafka carry Offset = -1 and no AckTo.
/// </summary>
public sealed record ApplyEvent(
    string UserId,
    string ItemId,
    EventType Type,
    long Timestamp,
    int Partition,
    long Offset,
    IActorRef? AckTo) : IUserMessage;

/// <summary>Sent back to the Kafka source: these offsets of <see cref="Partition"/> are durable (or dead-lettered) and may be committed.</summary>
public sealed record EventsDurable(int Partition, long[] Offsets);
