using Personalization.Actors.Delivery;
namespace Personalization.Actors.Kafka.Source;

/// <summary>Materialized value of <see cref="KafkaEventSource"/>: stops the consumer, with or without draining.</summary>
public interface IKafkaSourceControl
{
    /// <summary>
    /// Stops emitting, waits up to <paramref name="timeout"/> for every emitted record to be acknowledged, commits the
    /// acknowledged prefixes synchronously, closes the consumer (leaving the group) and completes the stream.
    /// The task completes when the consumer is closed.
    /// </summary>
    Task DrainAndShutdownAsync(TimeSpan timeout);

    /// <summary>Stops at once: commits what is already acknowledged, closes the consumer, completes the stream.</summary>
    Task ShutdownAsync();

    /// <summary>
    /// Where acknowledgements go: tell it <see cref="Delivery.EventsDurable"/> for offsets that are durable (or
    /// dead-lettered) and <see cref="Delivery.RedeliveryNeeded"/> to have a partition read again. Set once the stage
    /// has started, which is before it emits its first record.
    /// </summary>
    Akka.Actor.IActorRef AckTarget { get; }

    /// <summary>Completes when the consumer is closed (faults if the consumer failed).</summary>
    Task Completion { get; }

    /// <summary>The partitions this member owns right now.</summary>
    IReadOnlyCollection<int> AssignedPartitions { get; }

    /// <summary>Every record of the partition before this offset is acknowledged (-1: none yet, or not owned).</summary>
    long CommittablePosition(int partition);

    /// <summary>Positions of the owned partitions and the in-flight counts, for operators.</summary>
    KafkaSourceStatus Status();
}

/// <summary>
/// Told about partition moves, on the consumer's poll thread, inside the rebalance: return quickly (tell an actor).
/// On revoke the acknowledged offsets of those partitions are already committed.
/// </summary>
public interface IPartitionAssignmentListener
{
    void OnAssigned(IReadOnlyList<int> partitions);

    /// <param name="lost">True when ownership was lost without a clean revoke (session timeout): nothing was committed.</param>
    void OnRevoked(IReadOnlyList<int> partitions, bool lost)
    {
    }
}
