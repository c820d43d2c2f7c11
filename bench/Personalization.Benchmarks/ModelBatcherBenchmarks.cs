using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using Personalization.Actors.Model;

namespace Personalization.Benchmarks;

/// <summary>
/// Step throughput with N concurrent callers, each awaiting its own steps one at a time as a user actor does:
/// through <see cref="InferenceBatcher"/> versus the naive way (every request its own unbatched B=1 Run on the
/// thread pool, fresh OrtValues and outputs each time). 4,096 steps per invocation, so Op/s is steps/s.
/// </summary>
[MemoryDiagnoser]
public class ModelBatcherBenchmarks
{
    private const int StepsPerInvoke = 4096;

    private InferenceBatcher _batcher = null!;
    private InferenceSession _naiveSession = null!;
    private RunOptions _runOptions = null!;
    private float[][] _states = null!;
    private int[] _items = null!;
    private int _stateSize;

    [Params(1, 64, 1024)]
    public int Callers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _batcher = InferenceBatcher.Open(ModelPaths.Default);
        using (var model = OnnxSequenceModel.Open(ModelPaths.Default)) _states = ModelPaths.WarmStates(model, Callers);
        _stateSize = _batcher.StateSize;
        var random = new Random(3);
        _items = Enumerable.Range(0, StepsPerInvoke).Select(_ => random.Next(1, _batcher.Vocabulary.Count)).ToArray();

        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _naiveSession = new InferenceSession(_batcher.Folder.StepGraphPath, options);
        _runOptions = new RunOptions();
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _batcher.DisposeAsync();
        _naiveSession.Dispose();
        _runOptions.Dispose();
    }

    [Benchmark(Baseline = true, Description = "naive: one Run per request", OperationsPerInvoke = StepsPerInvoke)]
    public Task Naive() => RunCallers(NaiveStepAsync);

    [Benchmark(Description = "InferenceBatcher", OperationsPerInvoke = StepsPerInvoke)]
    public Task Batched() => RunCallers((state, item) => _batcher.StepAsync(state, [item]));

    private Task RunCallers(Func<float[], int, Task<float[]>> step)
    {
        var perCaller = StepsPerInvoke / Callers;
        return Task.WhenAll(Enumerable.Range(0, Callers).Select(async caller =>
        {
            var state = _states[caller];
            for (var i = 0; i < perCaller; i++) state = await step(state, _items[caller * perCaller + i]).ConfigureAwait(false);
        }));
    }

    private static readonly string[] InputNames = [OnnxSequenceModel.ItemInput, OnnxSequenceModel.StateInput];
    private static readonly string[] OutputNames = [OnnxSequenceModel.NextStateOutput];

    private Task<float[]> NaiveStepAsync(float[] state, int item) => Task.Run(() =>
    {
        using var itemValue = OrtValue.CreateTensorValueFromMemory(new long[] { item }, [1]);
        using var stateValue = OrtValue.CreateTensorValueFromMemory(state, [1, _stateSize]);
        using var outputs = _naiveSession.Run(_runOptions, InputNames, [itemValue, stateValue], OutputNames);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    });
}
