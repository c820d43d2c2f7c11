using CsCheck;
using Personalization.Actors.Quality;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Quality;

/// <summary>The rate-drop detector's properties over generated rate sequences (CsCheck, fixed seed; <see cref="Fuzz"/>).</summary>
public sealed class RateDropDetectorTests
{
    private const ulong Seed = 20_261_202;
    private static readonly RateDropSettings Settings = new();

    private static readonly Gen<RateDropSettings> AnySettings =
        from drop in Gen.Double[0.05, 0.6]
        from recoverAbove in Gen.Double[0.01, 0.39]
        from min in Gen.Double[0, 50]
        from warmup in Gen.Int[1, 20]
        from weight in Gen.Double[0.01, 1]
        from accept in Gen.Int[1, 100]
        select new RateDropSettings
        {
            DropRatio = drop,
            RecoverRatio = Math.Min(1, drop + recoverAbove),
            MinBaselinePerSecond = min,
            WarmupSamples = warmup,
            BaselineWeight = weight,
            AcceptAfterSamples = accept,
        };

    private static List<RateDropChange> Run(RateDropDetector detector, IEnumerable<double> rates) => rates.Select(detector.Observe).ToList();

    [Fact]
    public void A_steady_rate_never_drops()
    {
        var gen = from settings in AnySettings from rate in Gen.Double[0, 1e6] from count in Gen.Int[1, 500] select (settings, rate, count);
        Fuzz.Run(gen, c =>
        {
            var changes = Run(new RateDropDetector(c.settings), Enumerable.Repeat(c.rate, c.count));
            Assert.All(changes, change => Assert.Equal(RateDropChange.None, change));
        }, 2_000, Seed, c => $"{c}");
    }

    [Fact]
    public void Rates_within_a_band_narrower_than_the_drop_ratio_never_drop()
    {
        // Every rate in [lo, hi] with lo >= ratio * hi: the baseline (a weighted mean) stays in the band too.
        var gen =
            from settings in AnySettings
            from hi in Gen.Double[0.001, 1e5]
            from width in Gen.Double[0, 1]
            from fractions in Gen.Double[0, 1].Array[1, 400]
            // (a hair above ratio * hi: rounding must not put a rate just under the bound)
            let lo = Math.Min(hi, hi * (settings.DropRatio + (1 - settings.DropRatio) * width) * (1 + 1e-9))
            select (settings, rates: fractions.Select(f => lo + f * (hi - lo)).ToArray());
        Fuzz.Run(gen, c =>
        {
            var detector = new RateDropDetector(c.settings);
            Assert.All(Run(detector, c.rates), change => Assert.Equal(RateDropChange.None, change));
            Assert.False(detector.Dropped);
        }, 2_000, Seed, c => $"{c.settings} [{string.Join(", ", c.rates.Take(20))}…]");
    }

    [Fact]
    public void After_the_warm_up_a_fall_below_the_ratio_of_every_earlier_rate_drops_at_once()
    {
        var gen =
            from settings in AnySettings
            from hi in Gen.Double[1, 1e5]
            from count in Gen.Int[0, 200]
            from fractions in Gen.Double[0, 1].Array[count, count]
            from fall in Gen.Double[0, 0.999]
            select (settings, hi, fractions, fall);
        Fuzz.Run(gen, c =>
        {
            // A band that cannot drop, at least the warm-up long, above the minimum baseline...
            var lo = Math.Max(c.hi * c.settings.DropRatio * (1 + 1e-9), c.settings.MinBaselinePerSecond);
            var hi = Math.Max(c.hi, lo);
            var rates = c.fractions.Select(f => lo + f * (hi - lo)).ToList();
            while (rates.Count < c.settings.WarmupSamples) rates.Add(hi);
            var detector = new RateDropDetector(c.settings);
            Assert.All(Run(detector, rates), change => Assert.Equal(RateDropChange.None, change));

            // ...then a rate below the ratio of the smallest of them.
            var dropped = c.fall * c.settings.DropRatio * rates.Min();
            Assert.Equal(RateDropChange.Dropped, detector.Observe(dropped));
            Assert.True(detector.Dropped);
        }, 2_000, Seed, c => $"{c.settings} hi {c.hi} fall {c.fall} n {c.fractions.Length}");
    }

    [Fact]
    public void A_partition_quieter_than_the_minimum_baseline_never_drops()
    {
        var gen = from settings in AnySettings from fractions in Gen.Double[0, 1].Array[1, 300] select (settings, fractions);
        Fuzz.Run(gen, c =>
        {
            var below = c.settings.MinBaselinePerSecond;
            var detector = new RateDropDetector(c.settings);
            // Strictly below the minimum: the baseline, a weighted mean of them, is too.
            Assert.All(Run(detector, c.fractions.Select(f => f * below * 0.999)), change => Assert.Equal(RateDropChange.None, change));
        }, 2_000, Seed, c => $"{c.settings}");
    }

    [Fact]
    public void Drops_and_their_ends_alternate_and_the_state_says_which()
    {
        var gen = from settings in AnySettings from rates in Gen.Double[0, 1000].Array[1, 500] select (settings, rates);
        Fuzz.Run(gen, c =>
        {
            var detector = new RateDropDetector(c.settings);
            var dropped = false;
            foreach (var rate in c.rates)
            {
                var change = detector.Observe(rate);
                if (change == RateDropChange.Dropped)
                {
                    Assert.False(dropped, "a second drop without an end in between");
                    dropped = true;
                }
                else if (change is RateDropChange.Recovered or RateDropChange.Accepted)
                {
                    Assert.True(dropped, "an end without a drop");
                    dropped = false;
                }

                Assert.Equal(dropped, detector.Dropped);
                Assert.True(detector.Baseline >= 0 && double.IsFinite(detector.Baseline));
            }
        }, 2_000, Seed, c => $"{c.settings} [{string.Join(", ", c.rates.Take(30))}…]");
    }

    [Fact]
    public void A_dropped_partition_recovers_at_the_recover_ratio_and_a_lasting_drop_becomes_the_new_normal()
    {
        var detector = new RateDropDetector(Settings with { WarmupSamples = 3, AcceptAfterSamples = 4 });
        Assert.All(Run(detector, [100, 100, 100]), c => Assert.Equal(RateDropChange.None, c));
        Assert.Equal(RateDropChange.Dropped, detector.Observe(10));
        Assert.Equal(100, detector.Baseline); // frozen while dropped
        Assert.Equal(RateDropChange.None, detector.Observe(49));
        Assert.Equal(RateDropChange.Recovered, detector.Observe(50));
        Assert.False(detector.Dropped);

        Assert.Equal(RateDropChange.Dropped, detector.Observe(5));
        Assert.Equal([RateDropChange.None, RateDropChange.None, RateDropChange.Accepted], Run(detector, [5, 5, 5]));
        Assert.Equal(5, detector.Baseline);
        Assert.Equal(RateDropChange.None, detector.Observe(5)); // warming up again on the new normal
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_rate_that_is_not_a_rate_is_refused(double rate) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RateDropDetector(Settings).Observe(rate));

    [Fact]
    public void Settings_out_of_range_are_refused_with_their_name()
    {
        Assert.Contains("RateDropRatio", new RateDropSettings { DropRatio = 1 }.Problem());
        Assert.Contains("RateRecoverRatio", new RateDropSettings { DropRatio = 0.5, RecoverRatio = 0.4 }.Problem());
        Assert.Contains("RateDropWarmupSamples", new RateDropSettings { WarmupSamples = 0 }.Problem());
        Assert.Contains("RateBaselineWeight", new RateDropSettings { BaselineWeight = 0 }.Problem());
        Assert.Contains("RateDropMinPerSecond", new RateDropSettings { MinBaselinePerSecond = double.NaN }.Problem());
        Assert.Null(Settings.Problem());
        Assert.Throws<ArgumentException>(() => new RateDropDetector(new RateDropSettings { DropRatio = 0 }));
    }
}
