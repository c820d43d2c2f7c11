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

    /// <summary>
    /// Nice steps of the step thread below the process (0: same priority). Steps are ingest, scores serve queries: a node that serves queries
    /// while it ingests runs its steps below the scores' priority (<see cref="Scheduling.OsThreadPriority"/>).
    /// </summary>
    public int StepThreadNice { get; init; }

    /// <summary>
    /// Top-k of a linear score graph by an int8 scan of the catalog and an exact re-score of the best candidates
    /// (<see cref="Scoring.QuantizedTopK"/>; on by default where the CPU has AVX2). Off: every query runs the score graph.
    /// </summary>
    public bool QuantizedScoring { get; init; } = true;

    internal void Check()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(StepThreadNice, 0, nameof(StepThreadNice));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(StepThreadNice, 19, nameof(StepThreadNice));
        Model.Check();
        ArgumentOutOfRangeException.ThrowIfLessThan(StepQueueCapacity, 1, nameof(StepQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(ScoreQueueCapacity, 1, nameof(ScoreQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(Linger, TimeSpan.Zero, nameof(Linger));
    }
}
