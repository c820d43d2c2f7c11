namespace Personalization.Actors.Model;

/// <summary>How <see cref="OnnxSequenceModel"/> runs its graphs.</summary>
public sealed record OnnxModelOptions
{
    public static readonly OnnxModelOptions Default = new();

    /// <summary>Threads inside one graph run. 1 by default: the engine gets its parallelism from batching, and the
    /// machine's cores are shared with the actors and the Kafka consumer.</summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Largest step batch (rows of one step run); input/output buffers are allocated for it up front.</summary>
    public int MaxStepBatch { get; init; } = 256;

    /// <summary>Largest score batch; each row's output is item_count floats, so this stays small.</summary>
    public int MaxScoreBatch { get; init; } = 32;

    internal void Check()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(IntraOpThreads, 1, nameof(IntraOpThreads));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStepBatch, 1, nameof(MaxStepBatch));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxScoreBatch, 1, nameof(MaxScoreBatch));
    }
}
