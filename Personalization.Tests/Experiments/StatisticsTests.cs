using Personalization.Actors.Experiments;
using Xunit;

namespace Personalization.Tests.Experiments;

/// <summary>The report's tests against values worked out by hand (or in any statistics package).</summary>
public sealed class StatisticsTests
{
    [Fact]
    public void The_complementary_error_function_matches_its_tables()
    {
        Assert.Equal(1.0, Statistics.Erfc(0), 7);
        Assert.Equal(0.1572992, Statistics.Erfc(1), 6);
        Assert.Equal(1.8427008, Statistics.Erfc(-1), 6);
        Assert.Equal(0.05, Statistics.TwoSidedNormalP(Statistics.Z95), 6);
    }

    [Fact]
    public void Two_proportions_45_of_100_against_30_of_100_differ_at_p_0_029()
    {
        // pooled p = 0.375, se = sqrt(0.375 · 0.625 · 0.02) = 0.0685, z = 2.191
        Assert.Equal(0.0285, Statistics.TwoProportionP(45, 100, 30, 100), 3);
        Assert.Equal(1.0, Statistics.TwoProportionP(30, 100, 30, 100), 6);
    }

    [Fact]
    public void The_exact_sign_test_of_8_wins_against_2_is_0_109()
    {
        Assert.Equal(0.109375, Statistics.SignTestP(8, 2), 6);
        Assert.Equal(1.0, Statistics.SignTestP(5, 5), 6);
        Assert.Equal(1.0, Statistics.SignTestP(0, 0), 6);
    }

    [Fact]
    public void The_sign_test_approximation_beyond_a_thousand_agrees_with_the_normal_tail()
    {
        // 560 vs 480: z = (80 − 1) / sqrt(1040) = 2.450 → p = 0.0143
        Assert.Equal(0.0143, Statistics.SignTestP(560, 480), 3);
    }

    [Fact]
    public void The_wilson_interval_of_5_of_10_is_0_237_to_0_763()
    {
        var (low, high) = Statistics.Wilson(5, 10);
        Assert.Equal(0.2366, low, 4);
        Assert.Equal(0.7634, high, 4);
        Assert.Equal((0.0, 1.0), Statistics.Wilson(0, 0));
    }

    [Fact]
    public void Mean_and_variance_come_from_count_sum_and_sum_of_squares()
    {
        double[] xs = [0, 1, 0.5, 0.25];
        var (mean, variance) = Statistics.MeanVariance(xs.Length, xs.Sum(), xs.Sum(x => x * x));
        Assert.Equal(0.4375, mean, 9);
        Assert.Equal(xs.Sum(x => (x - 0.4375) * (x - 0.4375)) / 3, variance, 9);
    }
}
