using Personalization.Actors.Model;
using Xunit;

namespace Personalization.Tests.Model;

[Collection(ModelCollection.Name)]
public sealed class InferenceBatcherTests(ModelFixture model)
{
    private const float Tolerance = 1e-5f;

    /// <summary>Deterministic item sequences of varied length for many synthetic users.</summary>
    private static int[][] Sequences(int users, int itemCount, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, users).Select(_ => Enumerable.Range(0, random.Next(1, 12)).Select(_ => random.Next(1, itemCount)).ToArray()).ToArray();
    }

    /// <summary>A batcher over its own model whose threads start only when the gate opens, so requests queued before
    /// form known batches.</summary>
    private static (InferenceBatcher Batcher, ManualResetEventSlim Gate) GatedBatcher(InferenceBatcherOptions? options = null)
    {
        options ??= InferenceBatcherOptions.Default;
        var gate = new ManualResetEventSlim(false);
        return (new InferenceBatcher(OnnxSequenceModel.Open(TestModelFolder.Path, options.Model), options, ownsModel: true, gate), gate);
    }

    [Fact]
    public async Task Many_concurrent_users_get_the_same_states_as_sequential_single_steps()
    {
        var sequences = Sequences(300, model.Reference.ItemCount, seed: 1);
        var (batcher, gate) = GatedBatcher();
        await using var _ = batcher;

        // Each user awaits its own steps one by one, as a user actor does; all users run at once.
        async Task<float[]> RunUser(int[] items)
        {
            var state = new float[batcher.StateSize];
            foreach (var item in items) state = await batcher.StepAsync(state, [item]);
            return state;
        }

        var users = sequences.Select(RunUser).ToArray();
        gate.Set();
        var states = await Task.WhenAll(users);

        for (var u = 0; u < sequences.Length; u++)
            ParityTests.AssertClose(model.StepSequentially(new float[batcher.StateSize], sequences[u]), states[u], Tolerance, $"user {u}");

        // 300 first steps were queued before the threads started: at least one full batch of 256 ran.
        Assert.True(batcher.StepRows > batcher.StepRounds, $"{batcher.StepRows} rows in {batcher.StepRounds} rounds: nothing was batched");
        Assert.Equal(sequences.Sum(s => s.Length), batcher.StepRows);
    }

    [Fact]
    public async Task A_multi_item_request_equals_chained_single_steps_and_leaves_the_input_alone()
    {
        var batcher = model.Batcher;
        var start = await batcher.StepAsync(new float[batcher.StateSize], [5, 17]);
        var before = (float[])start.Clone();
        int[] items = [1, 42, 42, 7, model.Reference.ItemCount - 1, 3];

        var chained = start;
        foreach (var item in items) chained = await batcher.StepAsync(chained, [item]);
        var together = await batcher.StepAsync(start, items);

        ParityTests.AssertClose(chained, together, Tolerance, "multi-item vs chained");
        ParityTests.AssertClose(model.StepSequentially(start, items), together, Tolerance, "multi-item vs reference");
        Assert.Equal(before, start);
        Assert.NotSame(start, together);
    }

    [Fact]
    public async Task Multi_item_requests_of_different_lengths_share_rounds_and_keep_their_order()
    {
        var sequences = Sequences(40, model.Reference.ItemCount, seed: 2);
        var (batcher, gate) = GatedBatcher();
        await using var _ = batcher;
        var starts = sequences.Select((s, u) => model.StepSequentially(new float[batcher.StateSize], [u + 1])).ToArray();

        var tasks = sequences.Select((items, u) => batcher.StepAsync(starts[u], items)).ToArray();
        gate.Set();
        var states = await Task.WhenAll(tasks);

        for (var u = 0; u < sequences.Length; u++)
            ParityTests.AssertClose(model.StepSequentially(starts[u], sequences[u]), states[u], Tolerance, $"user {u}");
        // One round per position: the longest request decides the number of rounds.
        Assert.Equal(sequences.Max(s => s.Length), batcher.StepRounds);
    }

    [Fact]
    public async Task A_full_batch_runs_without_waiting_out_the_linger()
    {
        var options = new InferenceBatcherOptions { Linger = TimeSpan.FromMinutes(5), Model = new OnnxModelOptions { MaxStepBatch = 4 } };
        await using var batcher = new InferenceBatcher(OnnxSequenceModel.Open(TestModelFolder.Path, options.Model), options);
        var state = new float[batcher.StateSize];
        var tasks = Enumerable.Range(1, 4).Select(i => batcher.StepAsync(state, [i])).ToArray();
        // Were the batch not flushed when full, this would wait five minutes.
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(1, batcher.StepRounds);
    }

    [Fact]
    public async Task An_empty_item_list_returns_a_copy_of_the_state()
    {
        var state = Enumerable.Range(0, model.Batcher.StateSize).Select(i => i / 100f).ToArray();
        var result = await model.Batcher.StepAsync(state, []);
        Assert.Equal(state, result);
        Assert.NotSame(state, result);
    }

    [Fact]
    public async Task Bad_arguments_are_refused_at_the_call()
    {
        var batcher = model.Batcher;
        var state = new float[batcher.StateSize];
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = batcher.StepAsync(state, [0]); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = batcher.StepAsync(state, [model.Reference.ItemCount]); });
        Assert.Throws<ArgumentException>(() => { _ = batcher.StepAsync(new float[3], [1]); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = batcher.TopKAsync(state, -1, []); });
        Assert.Empty(await batcher.TopKAsync(state, 0, []));
    }

    [Fact]
    public async Task TopK_is_sorted_never_returns_index_0_and_leaves_out_excluded_items()
    {
        var batcher = model.Batcher;
        var state = await batcher.StepAsync(new float[batcher.StateSize], [11, 12, 13]);

        var full = await batcher.TopKAsync(state, 13, []);
        Assert.Equal(13, full.Length);
        Assert.All(full, s => Assert.NotEqual(0, s.Index));
        Assert.True(full.Zip(full.Skip(1)).All(p => p.Item1.Score >= p.Item2.Score), "not sorted best first");

        // Excluding the best three shifts the list by three.
        var exclude = full.Take(3).Select(s => s.Index).ToList();
        var rest = await batcher.TopKAsync(state, 10, exclude);
        Assert.Equal(full.Skip(3).Select(s => s.Index), rest.Select(s => s.Index));

        // k beyond the vocabulary: every item once, none excluded, never the padding row.
        var everything = await batcher.TopKAsync(state, int.MaxValue, exclude);
        Assert.Equal(model.Reference.ItemCount - 1 - exclude.Count, everything.Length);
        Assert.DoesNotContain(everything, s => s.Index == 0 || exclude.Contains(s.Index));
        Assert.Equal(everything.Length, everything.Select(s => s.Index).Distinct().Count());

        // The scores are the score graph's.
        var scores = model.Scores(state);
        Assert.All(rest, s => Assert.Equal(scores[s.Index], s.Score, 1e-5f));
    }

    [Fact]
    public async Task Concurrent_TopK_requests_are_batched_and_match_single_scoring()
    {
        var (batcher, gate) = GatedBatcher();
        await using var _ = batcher;
        var states = Enumerable.Range(1, 50).Select(u => model.StepSequentially(new float[batcher.StateSize], [u, u * 7])).ToArray();
        var tasks = states.Select(s => batcher.TopKAsync(s, 5, [])).ToArray();
        gate.Set();
        var tops = await Task.WhenAll(tasks);
        for (var u = 0; u < states.Length; u++)
        {
            var scores = model.Scores(states[u]);
            var expected = Enumerable.Range(1, scores.Length - 1).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(5);
            Assert.Equal(expected, tops[u].Select(s => s.Index));
        }
    }

    [Fact]
    public async Task A_cancelled_request_completes_as_cancelled_and_the_others_still_run()
    {
        var (batcher, gate) = GatedBatcher();
        await using var _ = batcher;
        var state = new float[batcher.StateSize];
        using var cancel = new CancellationTokenSource();
        var cancelled = batcher.StepAsync(state, [1, 2, 3], cancel.Token);
        var kept = batcher.StepAsync(state, [4]);
        var cancelledTopK = batcher.TopKAsync(state, 3, [], cancel.Token);

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelledTopK);
        gate.Set();
        ParityTests.AssertClose(model.StepSequentially(state, [4]), await kept, Tolerance, "kept");
        Assert.Equal(1, batcher.StepRows);
    }

    [Fact]
    public async Task Disposal_fails_pending_requests_instead_of_leaving_them_hanging()
    {
        var (batcher, _) = GatedBatcher();
        var state = new float[batcher.StateSize];
        var step = batcher.StepAsync(state, [1]);
        var top = batcher.TopKAsync(state, 10, []);

        await batcher.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => step);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => top);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => batcher.StepAsync(state, [1]));
    }

    [Fact]
    public async Task Drain_completes_accepted_requests_then_refuses_new_ones()
    {
        var (batcher, _) = GatedBatcher();
        var state = new float[batcher.StateSize];
        var step = batcher.StepAsync(state, [1, 2]);
        var top = batcher.TopKAsync(state, 10, []);

        await batcher.DrainAndDisposeAsync();

        ParityTests.AssertClose(model.StepSequentially(state, [1, 2]), await step, Tolerance, "drained step");
        Assert.Equal(10, (await top).Length);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => batcher.StepAsync(state, [1]));
    }

    [Fact]
    public async Task A_full_queue_makes_callers_wait_and_loses_nothing()
    {
        var (batcher, gate) = GatedBatcher(new InferenceBatcherOptions { StepQueueCapacity = 4, Model = new OnnxModelOptions { MaxStepBatch = 3 } });
        await using var _ = batcher;
        var state = new float[batcher.StateSize];

        var tasks = Enumerable.Range(1, 20).Select(i => batcher.StepAsync(state, [i])).ToArray();
        Assert.Equal(4, batcher.PendingSteps);
        Assert.All(tasks, t => Assert.False(t.IsCompleted));

        gate.Set();
        var states = await Task.WhenAll(tasks);
        for (var i = 0; i < states.Length; i++)
            ParityTests.AssertClose(model.StepSequentially(state, [i + 1]), states[i], Tolerance, $"request {i}");
        Assert.All(tasks, t => Assert.True(t.IsCompletedSuccessfully));
    }

    [Fact]
    public async Task Results_complete_off_the_inference_threads()
    {
        var state = new float[model.Batcher.StateSize];
        await model.Batcher.StepAsync(state, [1]);
        Assert.DoesNotContain("model-", Thread.CurrentThread.Name ?? "");
    }
}
