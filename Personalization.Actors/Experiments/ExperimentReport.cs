using System.Collections.Immutable;

namespace Personalization.Actors.Experiments;

/// <summary>One variant's row of a report: its counters, rates with 95 % intervals and coverage of the catalog.</summary>
public sealed record VariantReport(
    string Name,
    string? Model,
    double Share,
    VariantTotals Totals,
    double HitRate,
    (double Low, double High) HitRateInterval,
    double Ndcg,
    double NdcgHalfWidth,
    double Mrr,
    double MrrHalfWidth,
    double PlayThroughRate,
    double Novelty,
    long DistinctItemsServed,
    double Coverage,
    double MeanLatencyMs);

/// <summary>A variant against the first (the control): differences and two-sided p-values.</summary>
public sealed record VariantComparison(string Variant, string Control, double HitRateDifference, double HitRateP, double NdcgDifference, double NdcgP, double MrrP);

/// <summary>Interleaving's verdict: which team the plays credited, and the sign test between them.</summary>
public sealed record InterleavingVerdict(string A, string B, long WinsA, long WinsB, long Undecided, double P, string? Better);

/// <summary>
/// What an experiment has shown so far: per variant online HR@K (two-proportion z-test against the control,
/// Wilson intervals), NDCG@K and MRR (Welch's test, normal intervals), play-through, novelty, coverage and latency;
/// for interleaving the sign test on the plays each ranker's picks won. <see cref="Warnings"/> says when a sample is
/// too small for the tests' approximations to mean anything.
/// </summary>
public sealed record ExperimentReport(
    ExperimentDefinition Experiment,
    ImmutableArray<VariantReport> Variants,
    ImmutableArray<VariantComparison> Comparisons,
    InterleavingVerdict? Interleaving,
    ImmutableArray<string> Warnings)
{
    /// <summary>Outcomes per variant below which the report warns (normal approximations need tens of hits and misses).</summary>
    public const int MinOutcomes = 200;

    public const int MinHitsAndMisses = 10;

    public const int MinDecidedComparisons = 30;

    public static ExperimentReport Of(ExperimentDefinition experiment, IReadOnlyList<VariantTotals> totals, IReadOnlyList<long> distinctItems, int catalogSize)
    {
        var shares = experiment.Kind == ExperimentKind.Interleaving ? [.. experiment.Variants.Select(_ => 1.0)] : experiment.Buckets.Shares(experiment.Variants.Length);
        var rows = ImmutableArray.CreateBuilder<VariantReport>(experiment.Variants.Length);
        var warnings = ImmutableArray.CreateBuilder<string>();
        for (var i = 0; i < experiment.Variants.Length; i++)
        {
            var t = totals[i];
            var v = experiment.Variants[i];
            var (ndcg, ndcgVar) = t.Ndcg;
            var (mrr, mrrVar) = t.Mrr;
            var distinct = i < distinctItems.Count ? distinctItems[i] : 0;
            rows.Add(new VariantReport(
                v.Name, v.Model, shares[i], t, t.HitRate, Statistics.Wilson(t.Hits, t.Outcomes),
                ndcg, HalfWidth(ndcgVar, t.Outcomes), mrr, HalfWidth(mrrVar, t.Outcomes),
                t.PlayThroughRate, t.Novelty, distinct, catalogSize > 0 ? distinct / (double)catalogSize : 0, t.MeanLatencyMs));
            if (experiment.Kind == ExperimentKind.AbTest && shares[i] > 0)
            {
                if (t.Outcomes < MinOutcomes)
                    warnings.Add($"variant {v.Name}: {t.Outcomes} outcomes so far, fewer than {MinOutcomes}: the sample is too small to conclude");
                else if (Math.Min(t.Hits, t.Outcomes - t.Hits) < MinHitsAndMisses)
                    warnings.Add($"variant {v.Name}: fewer than {MinHitsAndMisses} hits or misses: the normal approximation does not hold yet");
            }
        }

        var comparisons = ImmutableArray.CreateBuilder<VariantComparison>();
        InterleavingVerdict? verdict = null;
        if (experiment.Kind == ExperimentKind.AbTest)
        {
            var control = totals[0];
            var (controlNdcg, controlNdcgVar) = control.Ndcg;
            var (controlMrr, controlMrrVar) = control.Mrr;
            for (var i = 1; i < experiment.Variants.Length; i++)
            {
                var t = totals[i];
                var (ndcg, ndcgVar) = t.Ndcg;
                var (mrr, mrrVar) = t.Mrr;
                comparisons.Add(new VariantComparison(
                    experiment.Variants[i].Name, experiment.Variants[0].Name,
                    t.HitRate - control.HitRate, Statistics.TwoProportionP(t.Hits, t.Outcomes, control.Hits, control.Outcomes),
                    ndcg - controlNdcg, Statistics.WelchP(ndcg, ndcgVar, t.Outcomes, controlNdcg, controlNdcgVar, control.Outcomes),
                    Statistics.WelchP(mrr, mrrVar, t.Outcomes, controlMrr, controlMrrVar, control.Outcomes)));
            }
        }
        else
        {
            var winsA = totals[0].Wins;
            var winsB = totals[1].Wins;
            var undecided = Math.Max(0, totals[0].Outcomes - winsA - winsB);
            var p = Statistics.SignTestP(winsA, winsB);
            verdict = new InterleavingVerdict(experiment.Variants[0].Name, experiment.Variants[1].Name, winsA, winsB, undecided, p,
                p < 0.05 ? (winsA > winsB ? experiment.Variants[0].Name : experiment.Variants[1].Name) : null);
            if (winsA + winsB < MinDecidedComparisons)
                warnings.Add($"{winsA + winsB} plays credited to a ranker so far, fewer than {MinDecidedComparisons}: the sample is too small to conclude");
        }

        return new ExperimentReport(experiment, rows.ToImmutable(), comparisons.ToImmutable(), verdict, warnings.ToImmutable());
    }

    private static double HalfWidth(double variance, long n) => n < 2 ? double.NaN : Statistics.Z95 * Math.Sqrt(variance / n);
}
