using Akka;
using Akka.Streams.Dsl;

namespace Personalization.Actors.Kafka;

/// <summary>
/// Our equivalent of Akka.Streams.Kafka's committable source over Confluent.Kafka: demand-driven, bounded in memory,
/// per-partition pause/resume on unacknowledged records, offsets committed in batches up to the acknowledged prefix,
/// partition moves reported, drain-and-shutdown. Each emitted <see cref="ConsumedRecord"/> carries the stage's actor
/// as <see cref="ConsumedRecord.AckTo"/>; acknowledge with <see cref="Sessions.EventsDurable"/>.
/// </summary>
public static class KafkaEventSource
{
    public static Source<ConsumedRecord, IKafkaSourceControl> Create(KafkaSourceSettings settings, IPartitionAssignmentListener? listener = null)
    {
        settings.Validate();
        return Source.FromGraph(new KafkaSourceStage(settings, listener));
    }
}
