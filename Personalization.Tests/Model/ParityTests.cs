using Xunit;

namespace Personalization.Tests.Model;

/// <summary>The engine (one StepAsync per item, then TopKAsync) reproduces the trainer's full-sequence PyTorch run.</summary>
[Collection(ModelCollection.Name)]
public sealed class ParityTests(ModelFixture model)
{
    private const float Tolerance = 1e-4f;

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < ParityData.Load(TestModelFolder.Path).Cases.Length; i++) data.Add(i);
        return data;
    }

    [Fact]
    public void Parity_file_has_cases_of_varied_length()
    {
        var cases = model.Parity.Cases;
        Assert.True(cases.Length >= 5, $"parity.json has only {cases.Length} cases");
        Assert.Contains(cases, c => c.Items.Length == 1);
        Assert.Contains(cases, c => c.Items.Length >= 100);
        Assert.True(model.Parity.Tolerance <= 1e-4, $"parity.json tolerance {model.Parity.Tolerance} is looser than the contract's 1e-4");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Stepping_item_by_item_reproduces_the_trainers_state_scores_and_top10(int index)
    {
        var c = model.Parity.Cases[index];
        var batcher = model.Batcher;
        var state = new float[batcher.StateSize];
        var skipped = 0;
        foreach (var id in c.Items)
        {
            var item = batcher.Vocabulary.IndexOf(id);
            if (item == 0)
            {
                skipped++;
                continue;
            }

            state = await batcher.StepAsync(state, [item]);
        }

        Assert.Equal(0, skipped);
        AssertClose(c.FinalState, state, Tolerance, "final_state");

        var scores = model.Scores(state);
        AssertClose(c.ScoreValues, c.ScoreIndices.Select(i => scores[i]).ToArray(), Tolerance, "score_values");

        var top = await batcher.TopKAsync(state, 10, []);
        Assert.Equal(c.Top10, top.Select(s => batcher.Vocabulary.IdAt(s.Index)));
        AssertClose(c.Top10Scores, top.Select(s => s.Score).ToArray(), Tolerance, "top10_scores");

        var seen = c.Items.Select(batcher.Vocabulary.IndexOf).ToHashSet();
        var unseen = await batcher.TopKAsync(state, 10, seen);
        Assert.Equal(c.Top10Unseen, unseen.Select(s => batcher.Vocabulary.IdAt(s.Index)));
    }

    internal static void AssertClose(float[] expected, float[] actual, float tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0f;
        var at = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            var difference = Math.Abs(expected[i] - actual[i]);
            if (!(difference <= worst)) (worst, at) = (difference, i);
        }

        Assert.True(worst <= tolerance, $"{what}[{at}]: expected {(at < 0 ? 0 : expected[at])}, got {(at < 0 ? 0 : actual[at])} (|difference| {worst} > {tolerance})");
    }
}
