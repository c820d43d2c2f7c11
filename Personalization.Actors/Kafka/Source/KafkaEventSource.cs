using Akka;
using Akka.Streams.Dsl;
using Personalization.Actors.Delivery;

namespace Personalization.Actors.Kafka.Source;

/// <summary>
/// Our equivalent of Akka.Streams.Kafka's committable source over Confluent.Kafka: demand-driven, bounded in memory,
/// per-partition pause/resume on unacknowledged records, offsets committed in batches up to the acknowledged prefix,
/// partition moves reported, drain-and-shutdown. Acknowledge emitted records by telling
/// <see cref="IKafkaSourceControl.AckTarget"/> an <see cref="Delivery.EventsDurable"/>.
/// </summary>
public static class KafkaEventSource
{
    public static Source<ConsumedRecord, IKafkaSourceControl> Create(KafkaSourceSettings settings, IPartitionAssignmentListener? listener = null)
    {
        settings.Validate();
        return Akka.Streams.Dsl.Source.FromGraph(new KafkaSourceStage(settings, listener));
    }
}
