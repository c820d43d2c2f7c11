using CsCheck;
using Personalization.Actors.Experiments;
using Personalization.Actors.Model;
using Xunit;

namespace Personalization.Tests.Experiments;

/// <summary>The assignment of user buckets to variants, and what a weight change moves.</summary>
public sealed class BucketMapTests
{
    private static readonly Gen<double[]> Weights = Gen.Double[0, 100].Array[2, 6].Where(w => w.Sum() > 0.01);

    [Fact]
    public void Targets_sum_to_every_bucket_and_are_within_one_bucket_of_each_exact_share() =>
        Weights.Sample(weights =>
        {
            var targets = BucketMap.Targets(weights);
            Assert.Equal(VariantAssignment.Buckets, targets.Sum());
            for (var i = 0; i < weights.Length; i++)
                Assert.True(Math.Abs(targets[i] - weights[i] / weights.Sum() * VariantAssignment.Buckets) < 1 + 1e-9);
        });

    [Fact]
    public void A_weight_change_moves_exactly_the_users_it_must_and_only_to_variants_that_grow() =>
        Gen.Select(Weights, Gen.Double[0, 100].Array[6]).Sample((before, later) =>
        {
            var after = later.Take(before.Length).ToArray();
            if (after.Sum() <= 0.01) return;
            var map = BucketMap.Allocate(before);
            var next = map.Rebalance(after);
            var oldCounts = map.Counts(before.Length);
            var newTargets = BucketMap.Targets(after);
            Assert.Equal(newTargets, next.Counts(before.Length));
            var moved = 0;
            for (var b = 0; b < VariantAssignment.Buckets; b++)
            {
                if (map.VariantAt(b) == next.VariantAt(b)) continue;
                moved++;
                Assert.True(newTargets[next.VariantAt(b)] > oldCounts[next.VariantAt(b)], "a bucket moved to a variant that did not grow");
                Assert.True(newTargets[map.VariantAt(b)] < oldCounts[map.VariantAt(b)], "a bucket left a variant that did not shrink");
            }

            Assert.Equal(Enumerable.Range(0, before.Length).Sum(v => Math.Max(0, newTargets[v] - oldCounts[v])), moved);
        });

    [Fact]
    public void Unchanged_weights_move_nobody()
    {
        var map = BucketMap.Allocate([20, 30, 50]);
        var same = map.Rebalance([2, 3, 5]);
        for (var b = 0; b < VariantAssignment.Buckets; b++) Assert.Equal(map.VariantAt(b), same.VariantAt(b));
    }

    [Fact]
    public void Users_split_by_the_weights_within_statistical_tolerance()
    {
        var map = BucketMap.Allocate([70, 30]);
        var users = Enumerable.Range(0, 20_000).Select(i => $"user-{i}").ToArray();
        var inFirst = users.Count(u => map.VariantAt(VariantAssignment.BucketOf(u, "exp")) == 0);
        // Binomial(20,000, 0.7): standard deviation 65; 4 of them is far beyond chance.
        Assert.InRange(inFirst, 14_000 - 260, 14_000 + 260);
    }

    [Fact]
    public void A_map_round_trips_through_its_bytes_and_refuses_a_variant_it_does_not_have()
    {
        var map = BucketMap.Allocate([1, 1, 1]);
        var copy = BucketMap.FromBytes(map.Bytes, 3);
        Assert.Equal(map.Counts(3), copy.Counts(3));
        Assert.Throws<ArgumentException>(() => BucketMap.FromBytes(map.Bytes, 2));
        Assert.Throws<ArgumentException>(() => BucketMap.FromBytes(new byte[10], 3));
    }
}
