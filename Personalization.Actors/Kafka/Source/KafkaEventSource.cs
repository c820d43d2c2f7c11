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

    /// <summary>
    /// A source whose control exists before it runs, so the stages after it can be built with it and the whole graph
    /// materialized once, fused (pre-materializing the source instead puts a publisher, an actor hop per record,
    /// between it and them). The source may be materialized once.
    /// </summary>
    internal static Source<ConsumedRecord, IKafkaSourceControl> Create(KafkaSourceSettings settings, KafkaSourceControl control, IPartitionAssignmentListener? listener = null)
    {
        settings.Validate();
        return Akka.Streams.Dsl.Source.FromGraph(new KafkaSourceStage(settings, listener, control));
    }
}
