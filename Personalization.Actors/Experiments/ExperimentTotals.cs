using System.Collections.Immutable;

namespace Personalization.Actors.Experiments;

/// <summary>
/// The counters of one variant, summed over the cluster. Means are kept as sums (and sums of squares) in millionths so
/// that they add up as integer counters do on every node.
/// </summary>
public sealed record VariantTotals(
    long Impressions,
    long Outcomes,
    long Hits,
    long NdcgMicros,
    long NdcgSquaredMicros,
    long ReciprocalRankMicros,
    long ReciprocalRankSquaredMicros,
    long AttributedPlays,
    long ServedItems,
    long NovelItems,
    long Wins,
    long LatencyMicros)
{
    public static readonly VariantTotals Zero = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>The counter names as stored (one per field).</summary>
    public static readonly ImmutableArray<string> Counters =
        ["impressions", "outcomes", "hits", "ndcg_micros", "ndcg_sq_micros", "rr_micros", "rr_sq_micros", "attributed_plays", "served_items", "novel_items", "wins", "latency_micros"];

    public static VariantTotals FromCounters(Func<string, long> counter) => new(
        counter("impressions"), counter("outcomes"), counter("hits"), counter("ndcg_micros"), counter("ndcg_sq_micros"),
        counter("rr_micros"), counter("rr_sq_micros"), counter("attributed_plays"), counter("served_items"), counter("novel_items"),
        counter("wins"), counter("latency_micros"));

    public double HitRate => Outcomes == 0 ? 0 : Hits / (double)Outcomes;

    public (double Mean, double Variance) Ndcg => Statistics.MeanVariance(Outcomes, NdcgMicros / 1e6, NdcgSquaredMicros / 1e6);

    public (double Mean, double Variance) Mrr => Statistics.MeanVariance(Outcomes, ReciprocalRankMicros / 1e6, ReciprocalRankSquaredMicros / 1e6);

    /// <summary>Plays that carried one of this variant's recommendation ids, per impression.</summary>
    public double PlayThroughRate => Impressions == 0 ? 0 : AttributedPlays / (double)Impressions;

    /// <summary>Share of served items the user had not played (within the session's remembered items).</summary>
    public double Novelty => ServedItems == 0 ? 0 : NovelItems / (double)ServedItems;

    public double MeanLatencyMs => Impressions == 0 ? 0 : LatencyMicros / 1000.0 / Impressions;
}

/// <summary>One outcome's contribution to the counters (see <see cref="OnlineOutcome"/>).</summary>
public static class OutcomeCounters
{
    public static long Micros(double x) => (long)Math.Round(x * 1e6);
}
