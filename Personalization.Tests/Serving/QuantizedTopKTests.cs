using CsCheck;
using Personalization.Actors.Model;
using Personalization.Actors.Model.Scoring;
using Personalization.Tests.Infrastructure;
using Personalization.Tests.Model;
using Xunit;

namespace Personalization.Tests.Serving;

/// <summary>The int8 scan + exact re-score against the score graph of the shipped model.</summary>
[Collection(ModelCollection.Name)]
public sealed class QuantizedTopKTests(ModelFixture fixture)
{
    private static readonly Lazy<(LinearItemScores Table, QuantizedTopK TopK)> Scorer = new(() =>
    {
        using var model = OnnxSequenceModel.Open(TestModelFolder.Path);
        var table = LinearItemScores.TryRead(model, out var why) ?? throw new InvalidOperationException(why);
        return (table, new QuantizedTopK(table));
    });

    private static readonly object Lock = new(); // one QuantizedTopK, scratch buffers of its own

    private ScoredItem[] Exact(float[] state, int k, int[] exclude) =>
        TopKSelector.Select(fixture.Scores(state), k, exclude, new ScoredItem[k]);

    private static ScoredItem[] Served(float[] state, int k, int[] exclude)
    {
        lock (Lock) return Scorer.Value.TopK.TopK(state, k, exclude);
    }

    [Fact]
    public void The_item_table_read_out_of_the_score_graph_reproduces_its_scores()
    {
        var state = Enumerable.Range(0, fixture.Reference.StateSize).Select(i => MathF.Sin(i)).ToArray();
        var graph = fixture.Scores(state);
        for (var item = 1; item < graph.Length; item++)
            Assert.Equal(graph[item], Scorer.Value.Table.Score(item, state), 3e-4f);
    }

    [Fact]
    public void On_states_of_real_sessions_the_served_top10_is_the_exact_top10()
    {
        var vocabulary = fixture.Reference.Folder.Vocabulary;
        var sessions = File.ReadLines(Path.Combine(RepositoryPaths.Root, "data", "sample", "games-sessions.txt"))
            .Select(l => l.Split(' ')).Where(p => p.Length == 2)
            .GroupBy(p => p[0], p => vocabulary.IndexOf(p[1]))
            .Take(150);
        int states = 0, identical = 0;
        foreach (var session in sessions)
        {
            var items = session.Where(i => i > 0).ToArray();
            var state = fixture.StepSequentially(new float[fixture.Reference.StateSize], items);
            states++;
            if (Exact(state, 10, items).SequenceEqual(Served(state, 10, items), ScoreTolerance.Comparer)) identical++;
        }

        // The load tool's scoring scenario measures the rate over every prefix of every sample session (docs/DESIGN.md).
        Assert.True(identical >= 0.99 * states, $"{identical} of {states} lists identical");
    }

    [Fact]
    public void Whatever_the_state_the_served_items_carry_exact_scores_best_first_and_never_an_excluded_item()
    {
        var d = fixture.Reference.StateSize;
        var n = fixture.Reference.ItemCount;
        Gen.Select(Gen.Float[-3f, 3f].Array[d], Gen.Int[1, n - 1].Array[0, 60], Gen.Int[1, 100])
            .Sample((state, exclude, k) =>
            {
                var served = Served(state, k, exclude);
                Assert.Equal(k, served.Length);
                Assert.DoesNotContain(served, s => exclude.Contains(s.Index) || s.Index == 0);
                for (var i = 0; i < served.Length; i++)
                {
                    Assert.Equal(Scorer.Value.Table.Score(served[i].Index, state), served[i].Score);
                    if (i > 0) Assert.True(served[i - 1].Score >= served[i].Score);
                }
            }, iter: 60);
    }

    private sealed class ScoreTolerance : IEqualityComparer<ScoredItem>
    {
        public static readonly ScoreTolerance Comparer = new();

        public bool Equals(ScoredItem a, ScoredItem b) => a.Index == b.Index && Math.Abs(a.Score - b.Score) <= 1e-3f * (1 + Math.Abs(a.Score));

        public int GetHashCode(ScoredItem item) => item.Index;
    }
}
