using Personalization.Actors.Events;

namespace Personalization.Node.Http;

/// <summary>Produces events to the listening-events topic; completes when the broker has acknowledged all of them.</summary>
public interface IEventPublisher
{
    Task PublishAsync(IReadOnlyList<ListeningEvent> events, CancellationToken cancellationToken);
}
