namespace Personalization.Actors.Model;

/// <summary>How <see cref="InferenceBatcher"/> forms batches. Batch size limits are the model's
/// (<see cref="OnnxModelOptions.MaxStepBatch"/>, <see cref="OnnxModelOptions.MaxScoreBatch"/>).</summary>
public sealed record InferenceBatcherOptions
{
    public static readonly InferenceBatcherOptions Default = new();

    public OnnxModelOptions Model { get; init; } = OnnxModelOptions.Default;

    /// <summary>Step requests that may wait; beyond it callers' tasks wait for room (backpressure).</summary>
    public int StepQueueCapacity { get; init; } = 16_384;

    public int ScoreQueueCapacity { get; init; } = 1_024;

    /// <summary>
    /// How long a batch that is not full may wait for more requests once the queue is drained. Zero (default): run
    /// as soon as the queue is drained. Under load batches still fill, because requests queue up while the
    /// previous batch runs; a lone request is never delayed. A small linger (~1 ms) trades latency for larger
    /// batches when the CPU, not the request rate, is the limit.
    /// </summary>
    public TimeSpan Linger { get; init; } = TimeSpan.Zero;

    internal void Check()
    {
        Model.Check();
        ArgumentOutOfRangeException.ThrowIfLessThan(StepQueueCapacity, 1, nameof(StepQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(ScoreQueueCapacity, 1, nameof(ScoreQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(Linger, TimeSpan.Zero, nameof(Linger));
    }
}
