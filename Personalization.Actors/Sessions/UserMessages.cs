using Akka.Actor;
using Personalization.Actors.Delivery;
using Personalization.Actors.Events;
using Personalization.Actors.Model;

namespace Personalization.Actors.Sessions;

/// <summary>Every message addressed to one user's actor; sharding routes on <see cref="UserId"/>.</summary>
public interface IUserMessage
{
    string UserId { get; }
}

/// <summary>
/// One consumed event for a user, with where it sits in Kafka (<see cref="Delivery"/>: duplicates and lost predecessors
/// are recognised by it, and the acknowledgement goes back by it once the checkpoint covering the event is durable).
/// </summary>
/// <param name="RecommendationId">The answer the event came from, when its producer said (attribution to an experiment variant).</param>
public sealed record ApplyEvent(string UserId, string ItemId, EventType Type, long Timestamp, DeliveryTag Delivery, string? RecommendationId = null) : IUserMessage
{
    /// <summary>An event with no Kafka position (tests, tools).</summary>
    public ApplyEvent(string userId, string itemId, EventType type, long timestamp)
        : this(userId, itemId, type, timestamp, DeliveryTag.Untracked)
    {
    }

    public int Partition => Delivery.Partition;

    public long Offset => Delivery.Offset;
}

/// <summary>
/// "What next for this user?" Answered with <see cref="Recommendations"/>. With <see cref="Companion"/>, ranked with the
/// state the user's session keeps of that companion model instead of the serving one (docs/DESIGN.md, "The user
/// session"): a cold-start answer of that model while the state is being built, a <see cref="Status.Failure"/> with
/// <see cref="UnknownCompanionException"/> when the user has no such companion.
/// </summary>
public sealed record GetRecommendations(string UserId, int K, ModelKey? Companion = null) : IUserMessage;

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

/// <summary>
/// The operator's look into one user (<c>user inspect</c>): answered with <see cref="UserInspection"/>, from the session
/// as it is — it changes nothing, starts no step or ranking. <see cref="K"/> bounds the top items copied from the
/// cached ranking.
/// </summary>
public sealed record InspectUser(string UserId, int K) : IUserMessage;

/// <summary>Acknowledgements of one partition that wait for a checkpoint: how many, and their lowest and highest offset.</summary>
public sealed record PendingAcks(int Partition, int Count, long FirstOffset, long LastOffset);

/// <summary>
/// One user as its actor sees it: the session, the model state (its size and L2 norm; the vector itself stays on the
/// node), the acknowledgements waiting for a checkpoint, what is in flight, the cached top items, and where it lives
/// (<see cref="Node"/>: the member address; <see cref="ShardId"/>: the shard = its Kafka partition).
/// <see cref="TopK"/> is empty unless a ranking is cached for the current state (<see cref="TopKCached"/>):
/// inspecting never ranks. <see cref="Companions"/>: the companion model states the session keeps (usually none).
/// </summary>
public sealed record UserInspection(
    SessionView Session,
    string Node,
    string ShardId,
    string? ModelName,
    int StateSize,
    double StateNorm,
    IReadOnlyList<PendingAcks> PendingAcks,
    int EventsWaiting,
    bool StepInFlight,
    int CheckpointsInFlight,
    int EventsSinceCheckpoint,
    bool TopKCached,
    IReadOnlyList<RecommendedItem> TopK,
    IReadOnlyList<CompanionInspection> Companions);

/// <summary>A companion model state of a session: its model, the steps and the user's events it reflects, and whether it is still being built (no state yet).</summary>
public sealed record CompanionInspection(string ModelName, string ModelVersion, long ModelSteps, long EventsReflected, bool Building);
