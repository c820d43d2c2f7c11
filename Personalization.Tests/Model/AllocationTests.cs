using Personalization.Actors.Model;
using Xunit;
using Xunit.Abstractions;

namespace Personalization.Tests.Model;

/// <summary>The hot path's managed allocations, measured on the running thread.</summary>
[Collection(Name)]
public sealed class AllocationTests(ITestOutputHelper output)
{
    public const string Name = "allocation (alone)";

    [Fact]
    public void Bound_graph_runs_allocate_nothing()
    {
        using var onnx = OnnxSequenceModel.Open(TestModelFolder.Path);
        onnx.StepItems(64).Fill(3);
        onnx.RunStep(64);
        onnx.RunScore(8); // first use of a batch size binds its buffers: once

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 200; i++) onnx.RunStep(64);
        var step = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++) onnx.RunScore(8);
        var score = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"200 step runs: {step} B, 20 score runs: {score} B");
        Assert.Equal(0, step);
        Assert.Equal(0, score);
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
