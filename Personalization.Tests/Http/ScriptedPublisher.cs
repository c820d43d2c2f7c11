using Personalization.Actors.Events;
using Personalization.Node.Http;

namespace Personalization.Tests.Http;

/// <summary>
/// Stands in for Kafka behind POST /events where a test needs a request to stay inside the node (<see cref="Hold"/>)
/// or the endpoint to meet a failure it does not expect (<see cref="FailUnexpectedly"/>).
/// </summary>
public sealed class ScriptedPublisher : IEventPublisher
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Hold { get; init; }

    public bool FailUnexpectedly { get; init; }

    /// <summary>Completes once a request is inside <see cref="PublishAsync"/> (so it holds its admission permit).</summary>
    public Task Entered => _entered.Task;

    public void Release() => _release.TrySetResult();

    public async Task PublishAsync(IReadOnlyList<ListeningEvent> events, CancellationToken cancellationToken)
    {
        _entered.TrySetResult();
        // The endpoint turns publisher exceptions into 503 except cancellation: one that nobody requested is a bug.
        if (FailUnexpectedly) throw new OperationCanceledException("secret internal detail");
        if (Hold) await _release.Task.WaitAsync(cancellationToken);
    }
}
