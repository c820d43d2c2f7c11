using Akka.Actor;
using Personalization.Actors.Delivery;
using Personalization.Actors.Kafka.Source;

namespace Personalization.Tests.Infrastructure;

/// <summary>Acknowledging records of a source under test, as users and the DLQ path do.</summary>
public static class SourceAcks
{
    public static void Ack(this IKafkaSourceControl source, ConsumedRecord record) => source.Ack(record.Partition, record.Offset);

    public static void Ack(this IKafkaSourceControl source, int partition, params long[] offsets) =>
        source.AckTarget.Tell(new EventsDurable(partition, offsets), ActorRefs.NoSender);

    public static void AskRedelivery(this IKafkaSourceControl source, int partition) =>
        source.AckTarget.Tell(new RedeliveryNeeded(partition), ActorRefs.NoSender);
}
