using BenchmarkDotNet.Attributes;
using Personalization.Actors.Model;

namespace Personalization.Benchmarks;

/// <summary>
/// The exported graphs through <see cref="OnnxSequenceModel"/>'s bound buffers, one intra-op thread. Each benchmark
/// counts rows as operations, so Op/s is steps/s (or scored queries/s) and Mean is the time per row.
/// </summary>
[MemoryDiagnoser]
public class ModelGraphBenchmarks
{
    private OnnxSequenceModel _model = null!;
    private readonly ScoredItem[] _heap = new ScoredItem[10];

    [GlobalSetup]
    public void Setup()
    {
        _model = OnnxSequenceModel.Open(ModelPaths.Default);
        var states = ModelPaths.WarmStates(_model, 256);
        var random = new Random(1);
        var items = _model.StepItems(256);
        for (var i = 0; i < 256; i++) items[i] = random.Next(1, _model.ItemCount);
        var stepStates = _model.StepStates(256);
        for (var i = 0; i < 256; i++) states[i].CopyTo(stepStates.Slice(i * _model.StateSize));
        var scoreStates = _model.ScoreStates(32);
        for (var i = 0; i < 32; i++) states[i].CopyTo(scoreStates.Slice(i * _model.StateSize));
        // Bind every batch size used below once, outside the measurement.
        foreach (var b in new[] { 1, 64, 256 }) _model.RunStep(b);
        foreach (var b in new[] { 1, 32 }) _model.RunScore(b);
    }

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();

    [Benchmark(Description = "step B=1")]
    public float StepB1() => _model.RunStep(1)[0];

    [Benchmark(Description = "step B=64", OperationsPerInvoke = 64)]
    public float StepB64() => _model.RunStep(64)[0];

    [Benchmark(Description = "step B=256", OperationsPerInvoke = 256)]
    public float StepB256() => _model.RunStep(256)[0];

    [Benchmark(Description = "score+top10 B=1")]
    public int ScoreTop10B1() => ScoreTop10(1);

    [Benchmark(Description = "score+top10 B=32", OperationsPerInvoke = 32)]
    public int ScoreTop10B32() => ScoreTop10(32);

    // RunScore overwrites its output each run, so masking inside the selection does not leak between runs.
    private int ScoreTop10(int batch)
    {
        var scores = _model.RunScore(batch);
        var n = _model.ItemCount;
        var sum = 0;
        for (var i = 0; i < batch; i++) sum += TopKSelector.Select(scores.Slice(i * n, n), 10, Array.Empty<int>(), _heap)[0].Index;
        return sum;
    }
}
