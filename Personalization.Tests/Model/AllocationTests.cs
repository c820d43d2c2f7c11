using Personalization.Actors.Model;
using Xunit;
using Xunit.Abstractions;

namespace Personalization.Tests.Model;

/// <summary>The hot path's managed allocations, measured on the running thread.</summary>
[Collection(Name)]
public sealed class AllocationTests(ITestOutputHelper output)
{
    public const string Name = "allocation (alone)";

    /// <summary>
    /// Steady state, not first use: each graph path is warmed past the JIT's tier-up threshold (30 calls) before
    /// anything is measured, then measured in rounds of single runs. In the full suite a round once saw 1,592 B in
    /// 20 score runs while the same code allocates nothing alone: something outside the graph run (the runtime on
    /// this thread: tiering, a first-time path) allocated once. A run that allocates shows in every round, so the
    /// claim is a round of exactly 0 B per graph; rounds that did see bytes are printed with the runs that saw them.
    /// </summary>
    [Fact]
    public void Bound_graph_runs_allocate_nothing()
    {
        using var onnx = OnnxSequenceModel.Open(TestModelFolder.Path);
        onnx.StepItems(64).Fill(3);
        for (var i = 0; i < Warm; i++)
        {
            onnx.RunStep(64); // the first run of a batch size binds its buffers: once
            onnx.RunScore(8);
        }

        var step = Rounds(() => onnx.RunStep(64), runs: 200);
        var score = Rounds(() => onnx.RunScore(8), runs: 20);

        output.WriteLine($"200 step runs, by round: {string.Join(", ", step.Select(r => r.Bytes))} B; 20 score runs, by round: {string.Join(", ", score.Select(r => r.Bytes))} B");
        foreach (var (graph, rounds) in new[] { ("step", step), ("score", score) })
            foreach (var round in rounds.Where(r => r.Bytes != 0))
                output.WriteLine($"  {graph}: a round allocated {round.Bytes} B in runs {string.Join(", ", round.Runs)}");
        Assert.Contains(step, r => r.Bytes == 0);
        Assert.Contains(score, r => r.Bytes == 0);
    }

    private const int Warm = 100;
    private const int RoundCount = 3;

    /// <summary>Allocated bytes of <paramref name="runs"/> runs, <see cref="RoundCount"/> times, and which runs allocated.</summary>
    private static List<(long Bytes, List<int> Runs)> Rounds(Action run, int runs)
    {
        var perRun = new long[runs]; // allocated before measuring
        var rounds = new List<(long, List<int>)>(RoundCount);
        for (var r = 0; r < RoundCount; r++)
        {
            for (var i = 0; i < runs; i++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                run();
                perRun[i] = GC.GetAllocatedBytesForCurrentThread() - before;
            }

            rounds.Add((perRun.Sum(), Enumerable.Range(0, runs).Where(i => perRun[i] != 0).ToList()));
        }

        return rounds;
    }

    [Fact]
    public async Task A_step_request_allocates_little_beyond_its_result()
    {
        await using var batcher = InferenceBatcher.Open(TestModelFolder.Path);
        var state = new float[batcher.StateSize];
        int[] items = [5];
        for (var i = 0; i < 100; i++) state = await batcher.StepAsync(state, items); // warm up

        // Counts every thread (the inference thread too): this collection runs alone.
        const int requests = 2000;
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < requests; i++) state = await batcher.StepAsync(state, items);
        var perRequest = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)requests;
        output.WriteLine($"{perRequest:F0} B per StepAsync (result array {sizeof(float) * batcher.StateSize + 24} B)");
        Assert.True(perRequest < 4096, $"{perRequest:F0} B per StepAsync");
    }
}

[CollectionDefinition(AllocationTests.Name, DisableParallelization = true)]
public sealed class AllocationCollection;
