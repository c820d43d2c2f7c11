using Personalization.Actors.Events;
using Personalization.Actors.Delivery;
using Personalization.Actors.Ingest;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Kafka.Source;
namespace Personalization.Node.Http;

/// <summary>Events to the listening-events topic through our producer (murmur2 keys, acks=all).</summary>
public sealed class KafkaEventPublisher(KafkaEventProducer producer) : IEventPublisher
{
    public Task PublishAsync(IReadOnlyList<ListeningEvent> events, CancellationToken cancellationToken) =>
        events.Count == 1 ? producer.ProduceAsync(events[0], cancellationToken) : producer.ProduceManyAsync(events, cancellationToken);
}
