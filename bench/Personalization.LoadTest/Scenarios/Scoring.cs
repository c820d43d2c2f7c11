using System.Diagnostics;
using Personalization.Actors.Model;
using Personalization.Actors.Model.Scoring;
using Personalization.LoadTest.Infra;

namespace Personalization.LoadTest.Scenarios;

/// <summary>
/// The served top-10 of the int8 scan + exact re-score (<see cref="QuantizedTopK"/>) against exact scoring of every item
/// by the score graph, on the states of real sessions (data/sample/games-sessions.txt: every prefix of every user's
/// sequence, the user's items so far excluded), and the cost per query of each path on one thread.
/// </summary>
public static class Scoring
{
    public static Task<ScenarioResult> RunAsync(BenchContext ctx)
    {
        var r = new ScenarioResult { Scenario = "scoring", Title = "scoring: int8 scan + exact re-score vs exact scoring of every item", Quick = ctx.Quick };
        using var model = OnnxSequenceModel.Open(ctx.ModelPath);
        var table = LinearItemScores.TryRead(model, out var why) ?? throw new InvalidOperationException(why);
        var quantized = new QuantizedTopK(table);
        var (states, seen) = SessionStates(model, Path.Combine(ctx.Root, "data", "sample", "games-sessions.txt"), ctx.Quick ? 3000 : int.MaxValue);
        var d = model.StateSize;
        var n = model.ItemCount;
        const int k = 10;
        var heap = new ScoredItem[k];

        // Exact: one score-graph run per query (B = 1), top-k of all N scores.
        var exact = new ScoredItem[states.Count][];
        var clock = Stopwatch.StartNew();
        for (var q = 0; q < states.Count; q++)
        {
            states[q].CopyTo(model.ScoreStates(1));
            exact[q] = TopKSelector.Select(model.RunScore(1), k, seen[q], heap);
        }

        var exactUs = clock.Elapsed.TotalMicroseconds / states.Count;

        // Exact, batched 32 queries per graph run (the batcher's best case under queueing).
        clock.Restart();
        for (var first = 0; first < states.Count; first += 32)
        {
            var rows = Math.Min(32, states.Count - first);
            var input = model.ScoreStates(rows);
            for (var i = 0; i < rows; i++) states[first + i].CopyTo(input.Slice(i * d, d));
            var scores = model.RunScore(rows);
            for (var i = 0; i < rows; i++) TopKSelector.Select(scores.Slice(i * n, n), k, seen[first + i], heap);
        }

        var batchedUs = clock.Elapsed.TotalMicroseconds / states.Count;

        long sameList = 0, sameSet = 0, sameTop1 = 0;
        clock.Restart();
        var served = new ScoredItem[states.Count][];
        for (var q = 0; q < states.Count; q++) served[q] = quantized.TopK(states[q], k, seen[q]);
        var quantizedUs = clock.Elapsed.TotalMicroseconds / states.Count;
        for (var q = 0; q < states.Count; q++)
        {
            var a = exact[q].Select(x => x.Index).ToArray();
            var b = served[q].Select(x => x.Index).ToArray();
            if (a.SequenceEqual(b)) sameList++;
            if (a.ToHashSet().SetEquals(b)) sameSet++;
            if (a.Length > 0 && b.Length > 0 && a[0] == b[0]) sameTop1++;
        }

        double Pct(long x) => Math.Round(100.0 * x / states.Count, 3);
        r.Row(("path", "exact: score graph B=1 + top-10 of all items"), ("µs per query", Math.Round(exactUs, 1)), ("× exact B=1", 1.0), ("top-10 = exact, same order %", 100.0));
        r.Row(("path", "exact: score graph B=32 + top-10"), ("µs per query", Math.Round(batchedUs, 1)), ("× exact B=1", Math.Round(exactUs / batchedUs, 2)), ("top-10 = exact, same order %", 100.0));
        r.Row(("path", $"int8 scan + exact re-score of {QuantizedTopK.CandidatesFor(k)} candidates"), ("µs per query", Math.Round(quantizedUs, 1)),
            ("× exact B=1", Math.Round(exactUs / quantizedUs, 2)), ("top-10 = exact, same order %", Pct(sameList)), ("same set %", Pct(sameSet)), ("same first item %", Pct(sameTop1)));
        r.Figures["scoring_top10_exact_match_pct"] = Pct(sameList);
        r.Figures["scoring_quantized_us_per_query"] = Math.Round(quantizedUs, 1);
        r.Figures["scoring_exact_b1_us_per_query"] = Math.Round(exactUs, 1);
        r.Notes.Add($"{states.Count:N0} states: every prefix of the {seen.Count(s => s.Count == 1):N0} users' sequences in data/sample/games-sessions.txt stepped through {model.Folder.Manifest.Name} {model.Folder.Manifest.Version} (N = {n:N0}, D = {d}); the user's items so far excluded, as served. One thread, one query at a time (B=32 row: 32 per run).");
        Console.WriteLine($"  exact B=1 {exactUs:0.0} µs, exact B=32 {batchedUs:0.0} µs, int8+re-score {quantizedUs:0.0} µs per query; top-10 identical for {Pct(sameList)} % of {states.Count:N0} states");
        return Task.FromResult(r);
    }

    private static (List<float[]> States, List<HashSet<int>> Seen) SessionStates(OnnxSequenceModel model, string path, int limit)
    {
        var sequences = new Dictionary<string, List<int>>();
        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2) continue;
            var index = model.Folder.Vocabulary.IndexOf(parts[1]);
            if (index <= 0) continue;
            if (!sequences.TryGetValue(parts[0], out var list)) sequences[parts[0]] = list = [];
            list.Add(index);
        }

        var states = new List<float[]>();
        var seen = new List<HashSet<int>>();
        var d = model.StateSize;
        foreach (var sequence in sequences.Values)
        {
            var state = new float[d];
            var items = new HashSet<int>();
            foreach (var item in sequence)
            {
                var next = new float[d];
                model.Step([item], state, next);
                state = next;
                items.Add(item);
                states.Add(state);
                seen.Add([.. items]);
                if (states.Count >= limit) return (states, seen);
            }
        }

        return (states, seen);
    }
}
