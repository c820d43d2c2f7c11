namespace Personalization.Actors.Model;

/// <summary>What the batch loop needs of any queued request.</summary>
internal interface IQueuedRequest
{
    bool IsDone { get; }

    long EnqueuedAt { get; }

    void Fail(Exception exception);
}

/// <summary>A queued request is its own task source (one allocation less per request).</summary>
internal abstract class InferenceRequest<TResult> : TaskCompletionSource<TResult>, IQueuedRequest
{
    private CancellationTokenRegistration _registration;

    protected InferenceRequest(float[] state) : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        State = state;
        EnqueuedAt = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    /// <summary>The caller's state; read on the inference thread, never written.</summary>
    public float[] State { get; }

    public long EnqueuedAt { get; }

    public bool IsDone => Task.IsCompleted;

    /// <summary>Registered before the request is queued, so a cancellation can never be missed.</summary>
    public void CancelOn(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
            _registration = cancellationToken.UnsafeRegister(static (s, token) => ((InferenceRequest<TResult>)s!).TrySetCanceled(token), this);
    }

    public void Succeed(TResult result)
    {
        _registration.Unregister();
        TrySetResult(result);
    }

    public void Fail(Exception exception)
    {
        _registration.Unregister();
        TrySetException(exception);
    }
}

/// <summary>Items to apply in order, one per batch round; <see cref="Result"/> holds the state between rounds.</summary>
internal sealed class StepRequest(float[] state, int[] items) : InferenceRequest<float[]>(state)
{
    public int[] Items { get; } = items;

    /// <summary>Index into <see cref="Items"/> of the next item to apply.</summary>
    public int Next { get; set; }

    public float[]? Result { get; set; }

    /// <summary>The state the next round starts from.</summary>
    public float[] Current => Next == 0 ? State : Result!;
}

internal sealed class TopKRequest(float[] state, int k, int[] exclude) : InferenceRequest<ScoredItem[]>(state)
{
    public int K { get; } = k;

    /// <summary>A snapshot taken on the caller's thread: the caller's own set may change while this waits.</summary>
    public int[] Exclude { get; } = exclude;
}
