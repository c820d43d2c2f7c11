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
/// <see cref="PreviousOffset"/> is the offset of this user's previous event in the same partition while that one was
/// still unacknowledged (-1 when there is none): a user that has not applied it knows an event went missing and asks
/// for <see cref="RedeliveryNeeded"/> instead of applying this one out of order.
/// </summary>
public sealed record ApplyEvent(
    string UserId,
    string ItemId,
    EventType Type,
    long Timestamp,
    int Partition,
    long Offset,
    IActorRef? AckTo,
    long PreviousOffset = -1) : IUserMessage;

/// <summary>Sent back to the Kafka source: these offsets of <see cref="Partition"/> are durable (or dead-lettered) and may be committed.</summary>
public sealed record EventsDurable(int Partition, long[] Offsets);

/// <summary>
/// Sent back to the Kafka source by a user that received an event whose predecessor (<see cref="ApplyEvent.PreviousOffset"/>)
/// it never applied — lost on the way (a node died with it, a user stopped before applying it). The source rewinds the
/// partition to its oldest unacknowledged offset, so the user gets its events again, in order.
/// </summary>
public sealed record RedeliveryNeeded(int Partition);

/// <summary>"What next for this user?" Answered with <see cref="Recommendations"/>.</summary>
public sealed record GetRecommendations(string UserId, int K) : IUserMessage;

public sealed record RecommendedItem(string ItemId, float Score);

/// <summary>
/// The answer to <see cref="GetRecommendations"/>. <see cref="EventsReflected"/> counts the user's events the answer
/// takes into account; <see cref="ColdStart"/> says the list is the popular items, not the model's view of this user.
/// </summary>
public sealed record Recommendations(
    string UserId,
    IReadOnlyList<RecommendedItem> Items,
    string ModelName,
    string ModelVersion,
    long EventsReflected,
    bool ColdStart);

/// <summary>Asks for the user's live session. Answered with <see cref="SessionView"/>.</summary>
public sealed record GetSession(string UserId) : IUserMessage;

public sealed record SessionView(
    string UserId,
    long EventCount,
    long Plays,
    long Skips,
    long Likes,
    long PlaylistAdds,
    long FirstEventAt,
    long LastEventAt,
    IReadOnlyList<RecentItem> Recent,
    string? ModelVersion,
    long ModelSteps,
    IReadOnlyList<(int Partition, long Offset)> AppliedOffsets,
    IReadOnlyList<(int Partition, long Offset)> DurableOffsets);

/// <summary>Hand-off and passivation stop message: the user persists a checkpoint of what is not yet durable, then stops.</summary>
public sealed class StopUser
{
    public static readonly StopUser Instance = new();

    private StopUser()
    {
    }
}
