using Personalization.Actors.Model;
using Xunit;

namespace Personalization.Tests.Model;

public sealed class TopKSelectorTests
{
    private static ScoredItem[] Select(float[] scores, int k, IReadOnlyCollection<int>? exclude = null) =>
        TopKSelector.Select((float[])scores.Clone(), k, exclude ?? [], new ScoredItem[Math.Max(k, 1)]);

    [Fact]
    public void Picks_the_best_first_and_skips_the_padding_row()
    {
        float[] scores = [100, 0.5f, 3, -1, 2, 7];
        Assert.Equal([new(5, 7), new(2, 3), new(4, 2)], Select(scores, 3));
    }

    [Fact]
    public void Ties_go_to_the_lower_index()
    {
        float[] scores = [0, 1, 5, 5, 1, 5];
        Assert.Equal([2, 3, 5, 1], Select(scores, 4).Select(s => s.Index));
    }

    [Fact]
    public void Excluded_and_NaN_items_never_appear_and_k_may_exceed_what_is_left()
    {
        float[] scores = [0, 1, float.NaN, 3, 4];
        var top = Select(scores, 10, new HashSet<int> { 4, 99, -1 });
        Assert.Equal([3, 1], top.Select(s => s.Index));
    }

    [Fact]
    public void Matches_a_full_sort_on_random_rows()
    {
        var random = new Random(7);
        for (var round = 0; round < 200; round++)
        {
            var scores = Enumerable.Range(0, random.Next(2, 300)).Select(_ => (float)Math.Round(random.NextDouble() * 20, 1)).ToArray();
            var exclude = Enumerable.Range(0, random.Next(0, 10)).Select(_ => random.Next(0, scores.Length)).ToList();
            var k = random.Next(1, 40);
            var expected = Enumerable.Range(1, scores.Length - 1).Where(i => !exclude.Contains(i))
                .OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k);
            Assert.Equal(expected, Select(scores, k, exclude).Select(s => s.Index));
        }
    }
}
