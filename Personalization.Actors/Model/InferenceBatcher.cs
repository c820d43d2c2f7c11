using System.Diagnostics;
using System.Threading.Channels;
using Personalization.Actors.Model.Scoring;

namespace Personalization.Actors.Model;

/// <summary>
/// The <see cref="IModelRuntime"/> user actors call: step and top-k requests from many callers are queued and run
/// in micro-batches on two dedicated threads (one for steps, one for scores, so queries never wait behind ingest and
/// vice versa). A batch is run as soon as the queue is drained or the batch is full (optionally after a short
/// linger); requests arriving during a run form the next batch. A request with several items takes one row per
/// round until its items are applied in order. Callers' tasks complete on the thread pool, never on the inference
/// threads. Disposal fails what is still pending; <see cref="DrainAndDisposeAsync"/> finishes it first.
/// </summary>
public sealed class InferenceBatcher : IModelRuntime, IAsyncDisposable
{
    private readonly OnnxSequenceModel _model;
    private readonly bool _ownsModel;
    private readonly TimeSpan _linger;
    private readonly RequestQueue<StepRequest> _steps;
    private readonly RequestQueue<TopKRequest> _scores;
    private readonly InferenceMetrics _stepMetrics;
    private readonly InferenceMetrics _scoreMetrics;
    private readonly TaskCompletionSource _stepLoopDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _scoreLoopDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ManualResetEventSlim? _startGate;
    private readonly QuantizedTopK? _quantized;
    private volatile bool _aborting;
    private int _closing;
    private long _stepRounds;
    private long _stepRows;

    public InferenceBatcher(OnnxSequenceModel model, InferenceBatcherOptions? options = null, bool ownsModel = true)
        : this(model, options, ownsModel, startGate: null)
    {
    }

    /// <summary>Tests: the inference threads wait for <paramref name="startGate"/>, so queued requests form known batches.</summary>
    internal InferenceBatcher(OnnxSequenceModel model, InferenceBatcherOptions? options, bool ownsModel, ManualResetEventSlim? startGate)
    {
        _startGate = startGate;
        ArgumentNullException.ThrowIfNull(model);
        options ??= InferenceBatcherOptions.Default;
        options.Check();
        _model = model;
        _ownsModel = ownsModel;
        _linger = options.Linger;
        _steps = new RequestQueue<StepRequest>(options.StepQueueCapacity);
        _scores = new RequestQueue<TopKRequest>(options.ScoreQueueCapacity);
        var scoringPath = "ONNX Runtime score graph";
        if (options.QuantizedScoring && QuantizedTopK.IsSupported)
        {
            if (LinearItemScores.TryRead(model, out var notLinear) is { } table)
            {
                _quantized = new QuantizedTopK(table);
                scoringPath = "int8 scan + exact fp32 re-score (linear score graph)";
            }
            else scoringPath += ": " + notLinear;
        }

        ScoringPath = scoringPath;
        _stepMetrics = new InferenceMetrics(Name, Version, "step");
        _scoreMetrics = new InferenceMetrics(Name, Version, "score");
        StartThread(StepLoop, "step", options.StepThreadNice);
        StartThread(ScoreLoop, "score", 0);
    }

    /// <summary>Validates the model folder and starts a batcher that owns its model. Throws <see cref="InvalidModelException"/>.</summary>
    public static InferenceBatcher Open(string folderPath, InferenceBatcherOptions? options = null)
    {
        options ??= InferenceBatcherOptions.Default;
        options.Check();
        return new InferenceBatcher(OnnxSequenceModel.Open(folderPath, options.Model), options);
    }

    public ModelFolder Folder => _model.Folder;
    public ModelManifest Manifest => _model.Folder.Manifest;
    public string Name => Manifest.Name;
    public string Version => Manifest.Version;
    public int StateSize => _model.StateSize;
    public ItemVocabulary Vocabulary => _model.Folder.Vocabulary;
    public IReadOnlyList<int> PopularItems => _model.Folder.PopularItems;

    /// <summary>How top-k queries are scored, and if not quantized, why.</summary>
    public string? ScoringPath { get; }

    /// <summary>Requests waiting for a step batch (in-flight multi-item requests not counted).</summary>
    public int PendingSteps => _steps.Count;

    public int PendingScores => _scores.Count;

    /// <summary>Step graph runs so far, and rows in them (rows / rounds = mean batch size).</summary>
    internal long StepRounds => Interlocked.Read(ref _stepRounds);

    internal long StepRows => Interlocked.Read(ref _stepRows);

    /// <inheritdoc />
    /// <remarks><paramref name="state"/> and <paramref name="items"/> are read until the task completes: don't change them.</remarks>
    public Task<float[]> StepAsync(float[] state, int[] items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(items);
        if (state.Length != StateSize) throw new ArgumentException($"a state has {StateSize} values, not {state.Length}", nameof(state));
        foreach (var item in items)
        {
            if ((uint)(item - 1) >= (uint)(_model.ItemCount - 1))
                throw new ArgumentOutOfRangeException(nameof(items), item, $"model indices of items are 1 to {_model.ItemCount - 1}");
        }

        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<float[]>(cancellationToken);
        if (items.Length == 0) return Task.FromResult((float[])state.Clone());
        return Enqueue(_steps, new StepRequest(state, items), cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks><paramref name="state"/> is read until the task completes; <paramref name="exclude"/> is copied at once.</remarks>
    public Task<ScoredItem[]> TopKAsync(float[] state, int k, IReadOnlyCollection<int> exclude, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(exclude);
        if (state.Length != StateSize) throw new ArgumentException($"a state has {StateSize} values, not {state.Length}", nameof(state));
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<ScoredItem[]>(cancellationToken);
        if (k == 0) return Task.FromResult(Array.Empty<ScoredItem>());
        k = Math.Min(k, _model.ItemCount - 1);
        return Enqueue(_scores, new TopKRequest(state, k, exclude.Count == 0 ? [] : exclude.ToArray()), cancellationToken);
    }

    /// <summary>Stops at once: pending and queued requests fail with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        _aborting = true;
        await CloseAsync().ConfigureAwait(false);
    }

    /// <summary>Refuses new requests, completes every accepted one, then disposes (a retired model's way out).</summary>
    public Task DrainAndDisposeAsync() => CloseAsync();

    private async Task CloseAsync()
    {
        _steps.Close();
        _scores.Close();
        _startGate?.Set();
        await Task.WhenAll(_stepLoopDone.Task, _scoreLoopDone.Task).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _closing, 1) != 0) return;
        _steps.Dispose();
        _scores.Dispose();
        _stepMetrics.Remove();
        _scoreMetrics.Remove();
        if (_ownsModel) _model.Dispose();
    }

    private ObjectDisposedException Disposed() =>
        new(nameof(InferenceBatcher), $"model {Name} {Version} has been shut down or retired; use the registry's current model");

    private Task<TResult> Enqueue<TRequest, TResult>(RequestQueue<TRequest> queue, TRequest request, CancellationToken cancellationToken)
        where TRequest : InferenceRequest<TResult>
    {
        if (queue.IsClosed) return Task.FromException<TResult>(Disposed());
        request.CancelOn(cancellationToken);
        var enqueued = queue.EnqueueAsync(request, cancellationToken);
        return enqueued.IsCompletedSuccessfully ? request.Task : WaitForRoomAsync(enqueued, request);
    }

    private Task<float[]> Enqueue(RequestQueue<StepRequest> queue, StepRequest request, CancellationToken cancellationToken) =>
        Enqueue<StepRequest, float[]>(queue, request, cancellationToken);

    private Task<ScoredItem[]> Enqueue(RequestQueue<TopKRequest> queue, TopKRequest request, CancellationToken cancellationToken) =>
        Enqueue<TopKRequest, ScoredItem[]>(queue, request, cancellationToken);

    // The queue was full: the caller's task waits for room (never dropped), then for the result.
    private async Task<TResult> WaitForRoomAsync<TResult>(ValueTask enqueued, InferenceRequest<TResult> request)
    {
        try
        {
            await enqueued.ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            request.Fail(Disposed());
        }
        catch (OperationCanceledException e)
        {
            request.TrySetCanceled(e.CancellationToken);
        }

        return await request.Task.ConfigureAwait(false);
    }

    private void StartThread(Action loop, string graph, int nice) =>
        new Thread(() =>
        {
            if (nice != 0) Scheduling.OsThreadPriority.LowerCurrentThreadBy(nice);
            _startGate?.Wait();
            loop();
        }) { IsBackground = true, Name = $"model-{graph} {Name} {Version}" }.Start();

    private void StepLoop()
    {
        var batch = new StepRequest[_model.MaxStepBatch];
        var carried = new StepRequest[_model.MaxStepBatch];
        var carriedCount = 0;
        Exception? crash = null;
        try
        {
            while (!_aborting)
            {
                // Requests with items left go first, in the order they came.
                var count = 0;
                for (var i = 0; i < carriedCount; i++)
                {
                    if (!carried[i].IsDone) batch[count++] = carried[i];
                    carried[i] = null!;
                }

                carriedCount = 0;
                count = Collect(_steps, batch, count);
                if (count == 0)
                {
                    if (_steps.IsClosed && _steps.Count == 0) break;
                    _steps.WaitForItems(Timeout.InfiniteTimeSpan);
                    continue;
                }

                _stepMetrics.Queue.Set(_steps.Count);
                carriedCount = RunStepRound(batch, count, carried);
                Array.Clear(batch, 0, count);
            }
        }
        catch (Exception e)
        {
            crash = e;
        }
        finally
        {
            FailRemaining(_steps, carried.AsSpan(0, carriedCount), crash);
            _stepLoopDone.TrySetResult();
        }
    }

    private int RunStepRound(StepRequest[] batch, int count, StepRequest[] carried)
    {
        var d = StateSize;
        var items = _model.StepItems(count);
        var states = _model.StepStates(count);
        for (var i = 0; i < count; i++)
        {
            var request = batch[i];
            items[i] = request.Items[request.Next];
            request.Current.CopyTo(states.Slice(i * d, d));
        }

        var started = Stopwatch.GetTimestamp();
        ReadOnlySpan<float> next;
        try
        {
            next = _model.RunStep(count);
        }
        catch (Exception e)
        {
            for (var i = 0; i < count; i++) batch[i].Fail(e);
            return 0;
        }

        var now = Stopwatch.GetTimestamp();
        _stepMetrics.Run.Observe(Stopwatch.GetElapsedTime(started, now).TotalSeconds);
        _stepMetrics.Rows.Observe(count);
        Interlocked.Increment(ref _stepRounds);
        Interlocked.Add(ref _stepRows, count);

        var carriedCount = 0;
        for (var i = 0; i < count; i++)
        {
            var request = batch[i];
            var result = request.Result ??= new float[d];
            next.Slice(i * d, d).CopyTo(result);
            if (++request.Next < request.Items.Length)
            {
                carried[carriedCount++] = request;
                continue;
            }

            request.Succeed(result);
            _stepMetrics.Request.Observe(Stopwatch.GetElapsedTime(request.EnqueuedAt, now).TotalSeconds);
        }

        return carriedCount;
    }

    private void ScoreLoop()
    {
        var batch = new TopKRequest[_model.MaxScoreBatch];
        var heap = new ScoredItem[16];
        Exception? crash = null;
        try
        {
            while (!_aborting)
            {
                var count = Collect(_scores, batch, 0);
                if (count == 0)
                {
                    if (_scores.IsClosed && _scores.Count == 0) break;
                    _scores.WaitForItems(Timeout.InfiniteTimeSpan);
                    continue;
                }

                _scoreMetrics.Queue.Set(_scores.Count);
                RunScoreRound(batch, count, ref heap);
                Array.Clear(batch, 0, count);
            }
        }
        catch (Exception e)
        {
            crash = e;
        }
        finally
        {
            FailRemaining(_scores, [], crash);
            _scoreLoopDone.TrySetResult();
        }
    }

    private void RunScoreRound(TopKRequest[] batch, int count, ref ScoredItem[] heap)
    {
        if (_quantized is not null)
        {
            RunQuantizedScoreRound(batch, count, _quantized);
            return;
        }

        var d = StateSize;
        var n = _model.ItemCount;
        var states = _model.ScoreStates(count);
        for (var i = 0; i < count; i++) batch[i].State.CopyTo(states.Slice(i * d, d));

        var started = Stopwatch.GetTimestamp();
        Span<float> scores;
        try
        {
            scores = _model.RunScore(count);
        }
        catch (Exception e)
        {
            for (var i = 0; i < count; i++) batch[i].Fail(e);
            return;
        }

        for (var i = 0; i < count; i++)
        {
            var request = batch[i];
            if (heap.Length < request.K) heap = new ScoredItem[Math.Max(request.K, heap.Length * 2)];
            request.Succeed(TopKSelector.Select(scores.Slice(i * n, n), request.K, request.Exclude, heap));
        }

        var now = Stopwatch.GetTimestamp();
        _scoreMetrics.Run.Observe(Stopwatch.GetElapsedTime(started, now).TotalSeconds);
        _scoreMetrics.Rows.Observe(count);
        for (var i = 0; i < count; i++) _scoreMetrics.Request.Observe(Stopwatch.GetElapsedTime(batch[i].EnqueuedAt, now).TotalSeconds);
    }

    // A linear score graph: each request is an int8 scan of the catalog and an exact re-score of its shortlist, on this
    // thread (Scoring/QuantizedTopK); a scan per request, as one ONNX run per request is the cost of a batch row too.
    private void RunQuantizedScoreRound(TopKRequest[] batch, int count, QuantizedTopK scorer)
    {
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var request = batch[i];
            try
            {
                request.Succeed(scorer.TopK(request.State, request.K, request.Exclude));
            }
            catch (Exception e)
            {
                request.Fail(e);
            }
        }

        var now = Stopwatch.GetTimestamp();
        _scoreMetrics.Run.Observe(Stopwatch.GetElapsedTime(started, now).TotalSeconds);
        _scoreMetrics.Rows.Observe(count);
        for (var i = 0; i < count; i++) _scoreMetrics.Request.Observe(Stopwatch.GetElapsedTime(batch[i].EnqueuedAt, now).TotalSeconds);
    }

    /// <summary>Fills <paramref name="batch"/> from <paramref name="count"/> on with queued live requests (lingering if configured).</summary>
    private int Collect<T>(RequestQueue<T> queue, T[] batch, int count) where T : class, IQueuedRequest
    {
        count = Drain(queue, batch, count);
        if (count == 0 || count == batch.Length || _linger <= TimeSpan.Zero) return count;
        var started = Stopwatch.GetTimestamp();
        while (count < batch.Length && !queue.IsClosed)
        {
            var left = _linger - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero) break;
            queue.WaitForItems(left);
            count = Drain(queue, batch, count);
        }

        return count;
    }

    private static int Drain<T>(RequestQueue<T> queue, T[] batch, int count) where T : class, IQueuedRequest
    {
        while (count < batch.Length && queue.TryDequeue(out var request))
        {
            if (!request.IsDone) batch[count++] = request; // cancelled while queued: already completed, skip
        }

        return count;
    }

    // Closing first guarantees that nothing can be enqueued after the final drain: no request is left hanging.
    private void FailRemaining<T>(RequestQueue<T> queue, ReadOnlySpan<T> carried, Exception? crash) where T : class, IQueuedRequest
    {
        queue.Close();
        Exception Error() => crash is null ? Disposed() : new InvalidOperationException($"the inference thread of model {Name} {Version} failed", crash);
        foreach (var request in carried) request.Fail(Error());
        while (queue.TryDequeue(out var request)) request.Fail(Error());
    }
}
