using Personalization.Actors.Events;
using Personalization.Actors.Kafka.Producers;
namespace Personalization.Node.Http;

/// <summary>Events to the listening-events topic through our producer (murmur2 keys, acks=all).</summary>
public sealed class KafkaEventPublisher(KafkaEventProducer producer) : IEventPublisher
{
    public Task PublishAsync(IReadOnlyList<ListeningEvent> events, CancellationToken cancellationToken) =>
        events.Count == 1 ? producer.ProduceAsync(events[0], cancellationToken) : producer.ProduceManyAsync(events, cancellationToken);
}
