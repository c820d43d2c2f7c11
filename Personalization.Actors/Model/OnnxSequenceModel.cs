using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Personalization.Actors.Model;

/// <summary>
/// The two ONNX graphs of a model folder, run on batches through pre-allocated pinned buffers bound once per batch
/// size, so a run allocates nothing. Opening validates the graphs against the contract and the manifest and runs
/// both once on zeros. Threading: step calls must come from one thread at a time and score calls likewise; a step
/// and a score may run concurrently (separate sessions and buffers).
/// </summary>
public sealed class OnnxSequenceModel : IDisposable
{
    public const string ItemInput = "item";
    public const string StateInput = "state";
    public const string NextStateOutput = "next_state";
    public const string ScoresOutput = "scores";

    private readonly InferenceSession _stepSession;
    private readonly InferenceSession _scoreSession;
    private readonly RunOptions _stepRunOptions = new();
    private readonly RunOptions _scoreRunOptions = new();
    private readonly long[] _stepItems;
    private readonly float[] _stepStates;
    private readonly float[] _stepNextStates;
    private readonly float[] _scoreStates;
    private readonly float[] _scores;
    private readonly BatchBindings _stepBindings;
    private readonly BatchBindings _scoreBindings;
    private int _disposed;

    private OnnxSequenceModel(ModelFolder folder, InferenceSession step, InferenceSession score, OnnxModelOptions options)
    {
        Folder = folder;
        StateSize = folder.Manifest.HiddenSize;
        ItemCount = folder.Manifest.ItemCount;
        MaxStepBatch = options.MaxStepBatch;
        MaxScoreBatch = options.MaxScoreBatch;
        _stepSession = step;
        _scoreSession = score;

        // Pinned (POH) because ONNX Runtime reads and writes them by address for the model's lifetime.
        _stepItems = GC.AllocateArray<long>(MaxStepBatch, pinned: true);
        _stepStates = GC.AllocateArray<float>(MaxStepBatch * StateSize, pinned: true);
        _stepNextStates = GC.AllocateArray<float>(MaxStepBatch * StateSize, pinned: true);
        _scoreStates = GC.AllocateArray<float>(MaxScoreBatch * StateSize, pinned: true);
        _scores = GC.AllocateArray<float>(MaxScoreBatch * ItemCount, pinned: true);

        var d = StateSize;
        var n = ItemCount;
        _stepBindings = new BatchBindings(step, MaxStepBatch, (binding, b, owned) =>
        {
            owned.Add(BatchBindings.View(_stepItems, b, 0));
            binding.BindInput(ItemInput, owned[^1]);
            owned.Add(BatchBindings.View(_stepStates, b, d));
            binding.BindInput(StateInput, owned[^1]);
            owned.Add(BatchBindings.View(_stepNextStates, b, d));
            binding.BindOutput(NextStateOutput, owned[^1]);
        });
        _scoreBindings = new BatchBindings(score, MaxScoreBatch, (binding, b, owned) =>
        {
            owned.Add(BatchBindings.View(_scoreStates, b, d));
            binding.BindInput(StateInput, owned[^1]);
            owned.Add(BatchBindings.View(_scores, b, n));
            binding.BindOutput(ScoresOutput, owned[^1]);
        });
    }

    public ModelFolder Folder { get; }

    /// <summary>D: columns of a state.</summary>
    public int StateSize { get; }

    /// <summary>N: rows of items.txt = columns of a score row (column 0 is padding).</summary>
    public int ItemCount { get; }

    public int MaxStepBatch { get; }
    public int MaxScoreBatch { get; }

    /// <summary>Loads and validates the folder at <paramref name="folderPath"/>; throws <see cref="InvalidModelException"/>.</summary>
    public static OnnxSequenceModel Open(string folderPath, OnnxModelOptions? options = null) =>
        Open(ModelFolder.Load(folderPath), options);

    public static OnnxSequenceModel Open(ModelFolder folder, OnnxModelOptions? options = null)
    {
        options ??= OnnxModelOptions.Default;
        options.Check();
        var manifest = folder.Manifest;
        InferenceSession? step = null;
        InferenceSession? score = null;
        try
        {
            step = OpenSession(folder.StepGraphPath, manifest.Graphs.Step, options);
            score = OpenSession(folder.ScoreGraphPath, manifest.Graphs.Score, options);
            var hiddenSize = $"{ModelManifest.FileName} says hidden_size {manifest.HiddenSize}";
            GraphContract.Check(manifest.Graphs.Step, step,
                [new(ItemInput, TensorElementType.Int64, 1), new(StateInput, TensorElementType.Float, 2, manifest.HiddenSize, hiddenSize)],
                [new(NextStateOutput, TensorElementType.Float, 2, manifest.HiddenSize, hiddenSize)]);
            GraphContract.Check(manifest.Graphs.Score, score,
                [new(StateInput, TensorElementType.Float, 2, manifest.HiddenSize, hiddenSize)],
                [new(ScoresOutput, TensorElementType.Float, 2, manifest.ItemCount, $"{manifest.Vocabulary} has {manifest.ItemCount} rows")]);
        }
        catch
        {
            step?.Dispose();
            score?.Dispose();
            throw;
        }

        var model = new OnnxSequenceModel(folder, step, score, options);
        try
        {
            model.TestRun();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The item input of a step batch of <paramref name="batch"/> rows, to fill before <see cref="RunStep"/>.</summary>
    public Span<long> StepItems(int batch) => _stepItems.AsSpan(0, CheckBatch(batch, MaxStepBatch));

    /// <summary>The state input of a step batch ([batch, D] row-major), to fill before <see cref="RunStep"/>.</summary>
    public Span<float> StepStates(int batch) => _stepStates.AsSpan(0, CheckBatch(batch, MaxStepBatch) * StateSize);

    /// <summary>Runs the step graph on the first <paramref name="batch"/> rows of the step inputs; returns the next
    /// states ([batch, D]), valid until the next step run.</summary>
    public ReadOnlySpan<float> RunStep(int batch)
    {
        CheckBatch(batch, MaxStepBatch);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        _stepSession.RunWithBinding(_stepRunOptions, _stepBindings.For(batch));
        return _stepNextStates.AsSpan(0, batch * StateSize);
    }

    /// <summary>One step for each row: copies in, runs, copies out. Items are model indices in [0, N).</summary>
    public void Step(ReadOnlySpan<int> items, ReadOnlySpan<float> states, Span<float> nextStates)
    {
        var batch = items.Length;
        if (states.Length != batch * StateSize || nextStates.Length != batch * StateSize)
            throw new ArgumentException($"states must have {batch} rows of {StateSize}");
        var itemInput = StepItems(batch);
        for (var i = 0; i < batch; i++)
        {
            if ((uint)items[i] >= (uint)ItemCount) throw new ArgumentOutOfRangeException(nameof(items), items[i], $"model indices are in [0, {ItemCount})");
            itemInput[i] = items[i];
        }

        states.CopyTo(StepStates(batch));
        RunStep(batch).CopyTo(nextStates);
    }

    /// <summary>The state input of a score batch ([batch, D]), to fill before <see cref="RunScore"/>.</summary>
    public Span<float> ScoreStates(int batch) => _scoreStates.AsSpan(0, CheckBatch(batch, MaxScoreBatch) * StateSize);

    /// <summary>Runs the score graph; returns the scores ([batch, N], column 0 padding), valid until the next score
    /// run. Writable so that top-k selection can mask excluded items in place.</summary>
    public Span<float> RunScore(int batch)
    {
        CheckBatch(batch, MaxScoreBatch);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        _scoreSession.RunWithBinding(_scoreRunOptions, _scoreBindings.For(batch));
        return _scores.AsSpan(0, batch * ItemCount);
    }

    /// <summary>Scores of each state row: copies in, runs, copies out ([rows, N]).</summary>
    public void Score(ReadOnlySpan<float> states, Span<float> scores)
    {
        var batch = states.Length / StateSize;
        if (states.Length != batch * StateSize || scores.Length != batch * ItemCount)
            throw new ArgumentException($"states must be rows of {StateSize} and scores rows of {ItemCount}");
        states.CopyTo(ScoreStates(batch));
        RunScore(batch).CopyTo(scores);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stepBindings?.Dispose();
        _scoreBindings?.Dispose();
        _stepSession.Dispose();
        _scoreSession.Dispose();
        _stepRunOptions.Dispose();
        _scoreRunOptions.Dispose();
    }

    private static int CheckBatch(int batch, int max)
    {
        if ((uint)(batch - 1) >= (uint)max) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"a batch has 1 to {max} rows");
        return batch;
    }

    private static InferenceSession OpenSession(string path, string file, OnnxModelOptions options)
    {
        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        try
        {
            return new InferenceSession(path, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidModelException($"{file} cannot be loaded by ONNX Runtime: {e.Message}", e);
        }
    }

    // Two rows (the batch must really be dynamic), all-zero states, the first and last item: shapes as the
    // contract says and finite numbers. Then one run through the bound buffers, which also warms them up.
    private void TestRun()
    {
        var manifest = Folder.Manifest;
        const int rows = 2;
        var zeros = new float[rows * StateSize];
        long[] items = [1, ItemCount - 1];
        try
        {
            using var itemValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, items.AsMemory(), [rows]);
            using var stateValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, zeros.AsMemory(), [rows, StateSize]);
            using (var next = _stepSession.Run(_stepRunOptions, [ItemInput, StateInput], [itemValue, stateValue], [NextStateOutput]))
                CheckOutput(manifest.Graphs.Step, NextStateOutput, next.First(), rows, StateSize, $"{ModelManifest.FileName} says hidden_size {StateSize}");
            using (var scores = _scoreSession.Run(_scoreRunOptions, [StateInput], [stateValue], [ScoresOutput]))
                CheckOutput(manifest.Graphs.Score, ScoresOutput, scores.First(), rows, ItemCount, $"{manifest.Vocabulary} has {ItemCount} rows");
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidModelException($"the test run of {manifest.Graphs.Step} and {manifest.Graphs.Score} on zero states failed: {e.Message}", e);
        }

        StepItems(1)[0] = 1;
        StepStates(1).Clear();
        RunStep(1);
        ScoreStates(1).Clear();
        RunScore(1);
    }

    private static void CheckOutput(string file, string name, OrtValue output, int rows, int columns, string expectation)
    {
        var shape = output.GetTensorTypeAndShape().Shape;
        if (shape.Length != 2 || shape[0] != rows)
            throw new InvalidModelException($"{file} output '{name}' has shape [{string.Join(", ", shape)}] for {rows} input rows; the contract requires [{rows}, {columns}]");
        if (shape[1] != columns) throw new InvalidModelException($"{file} outputs {shape[1]} columns but {expectation}");

        foreach (var value in output.GetTensorDataAsSpan<float>())
        {
            if (!float.IsFinite(value)) throw new InvalidModelException($"{file} outputs non-finite numbers ({value}) for zero states");
        }
    }
}
