namespace Personalization.Actors.Experiments;

/// <summary>The few tests an experiment report needs, written out (no statistics package is served here).</summary>
public static class Statistics
{
    public const double Z95 = 1.959963984540054;

    /// <summary>Wilson score interval for <paramref name="successes"/> of <paramref name="n"/> at 95 %.</summary>
    public static (double Low, double High) Wilson(long successes, long n)
    {
        if (n <= 0) return (0, 1);
        var p = successes / (double)n;
        var z2 = Z95 * Z95;
        var denominator = 1 + z2 / n;
        var centre = (p + z2 / (2 * n)) / denominator;
        var half = Z95 * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denominator;
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>Two-sided p-value of the pooled two-proportion z-test (H0: both rates equal).</summary>
    public static double TwoProportionP(long successesA, long nA, long successesB, long nB)
    {
        if (nA <= 0 || nB <= 0) return 1;
        var pooled = (successesA + successesB) / (double)(nA + nB);
        var se = Math.Sqrt(pooled * (1 - pooled) * (1.0 / nA + 1.0 / nB));
        if (se == 0) return 1;
        var z = (successesA / (double)nA - successesB / (double)nB) / se;
        return TwoSidedNormalP(z);
    }

    /// <summary>Two-sided p-value of Welch's test on two means (normal approximation: the samples here are large).</summary>
    public static double WelchP(double meanA, double varianceA, long nA, double meanB, double varianceB, long nB)
    {
        if (nA < 2 || nB < 2) return 1;
        var se = Math.Sqrt(varianceA / nA + varianceB / nB);
        return se == 0 ? (meanA == meanB ? 1 : 0) : TwoSidedNormalP((meanA - meanB) / se);
    }

    /// <summary>
    /// Two-sided sign test (H0: each decided comparison is a coin flip): exact binomial up to 1,000 decided
    /// comparisons, the normal approximation with continuity correction beyond.
    /// </summary>
    public static double SignTestP(long winsA, long winsB)
    {
        var n = winsA + winsB;
        if (n == 0) return 1;
        var k = Math.Min(winsA, winsB);
        if (n > 1000)
        {
            var z = (Math.Abs(winsA - winsB) - 1) / Math.Sqrt(n);
            return Math.Min(1, TwoSidedNormalP(Math.Max(0, z)));
        }

        // P(X ≤ k) for X ~ Binomial(n, 1/2), summed in log space.
        var logHalfN = n * Math.Log(0.5);
        double tail = 0;
        var logChoose = 0.0; // log C(n, 0)
        for (long i = 0; i <= k; i++)
        {
            if (i > 0) logChoose += Math.Log(n - i + 1) - Math.Log(i);
            tail += Math.Exp(logChoose + logHalfN);
        }

        return Math.Min(1, 2 * tail);
    }

    /// <summary>Mean and sample variance from a count, a sum and a sum of squares.</summary>
    public static (double Mean, double Variance) MeanVariance(long n, double sum, double sumOfSquares)
    {
        if (n <= 0) return (0, 0);
        var mean = sum / n;
        var variance = n < 2 ? 0 : Math.Max(0, (sumOfSquares - n * mean * mean) / (n - 1));
        return (mean, variance);
    }

    public static double TwoSidedNormalP(double z) => Erfc(Math.Abs(z) / Math.Sqrt(2));

    /// <summary>Complementary error function, fractional error below 1.2e-7 (Chebyshev fit, Numerical Recipes §6.2).</summary>
    public static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1 / (1 + 0.5 * z);
        var r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
            t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
