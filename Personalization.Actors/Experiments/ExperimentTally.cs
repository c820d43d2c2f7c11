using System.Collections.Concurrent;
using Akka.Actor;
using Prometheus;

namespace Personalization.Actors.Experiments;

/// <summary>
/// This node's experiment counts since they were last replicated: sessions record their signals here
/// (<see cref="Record"/>), answering code its impressions (<see cref="Impression"/>); <see cref="ExperimentReplicator"/>
/// takes the deltas every few seconds and adds them to the cluster's counters. Prometheus sees every count at once,
/// labelled by experiment and variant. Thread-safe; an Akka extension so that user actors reach it without a
/// constructor argument.
/// </summary>
public sealed class ExperimentTally : IExtension
{
    private static readonly string[] Labels = ["experiment", "variant"];
    private static readonly Counter ImpressionsTotal = Metrics.CreateCounter("personalization_experiment_impressions_total", "Experiment answers served, by variant", Labels);
    private static readonly Counter OutcomesTotal = Metrics.CreateCounter("personalization_experiment_outcomes_total", "Next plays after an experiment answer (scored against it), by variant", Labels);
    private static readonly Counter HitsTotal = Metrics.CreateCounter("personalization_experiment_hits_total", "Next plays that were in the served list (online HR@K = hits / outcomes)", Labels);
    private static readonly Counter NdcgSum = Metrics.CreateCounter("personalization_experiment_ndcg_sum", "Sum of the next plays' NDCG@K (mean = sum / outcomes)", Labels);
    private static readonly Counter ReciprocalRankSum = Metrics.CreateCounter("personalization_experiment_reciprocal_rank_sum", "Sum of the next plays' reciprocal ranks (MRR = sum / outcomes)", Labels);
    private static readonly Counter AttributedPlaysTotal = Metrics.CreateCounter("personalization_experiment_attributed_plays_total", "Plays carrying the recommendationId of an answer, by its variant", Labels);
    private static readonly Counter ServedItemsTotal = Metrics.CreateCounter("personalization_experiment_served_items_total", "Items in experiment answers", Labels);
    private static readonly Counter NovelItemsTotal = Metrics.CreateCounter("personalization_experiment_novel_items_total", "Served items the user had not played (of the session's remembered items)", Labels);
    private static readonly Counter WinsTotal = Metrics.CreateCounter("personalization_experiment_interleaving_wins_total", "Interleaving: next plays of an item that this variant picked", Labels);
    private static readonly Histogram AnswerSeconds = Metrics.CreateHistogram(
        "personalization_experiment_answer_seconds", "Time to answer an experiment's query, by variant", new HistogramConfiguration
        {
            LabelNames = Labels,
            Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14),
        });

    private readonly ConcurrentDictionary<(string Experiment, string Variant), Cell> _cells = new();

    public static ExperimentTally For(ActorSystem system) => system.WithExtension<ExperimentTally, ExperimentTallyProvider>();

    /// <summary>An answer served by this node.</summary>
    public void Impression(string experiment, string variant, IReadOnlyList<string> items, double latencySeconds)
    {
        var cell = CellOf(experiment, variant);
        cell.Add(Slot.Impressions, 1);
        cell.Add(Slot.LatencyMicros, (long)Math.Round(latencySeconds * 1e6));
        foreach (var item in items) cell.Saw(ItemSketch.BitOf(item));
        ImpressionsTotal.WithLabels(experiment, variant).Inc();
        AnswerSeconds.WithLabels(experiment, variant).Observe(latencySeconds);
    }

    /// <summary>A session's observation (see <see cref="ImpressionLedger"/>).</summary>
    public void Record(ExperimentSignal signal)
    {
        var cell = CellOf(signal.Experiment, signal.Variant);
        switch (signal.Kind)
        {
            case ExperimentSignalKind.Served:
                cell.Add(Slot.ServedItems, signal.Served);
                cell.Add(Slot.NovelItems, signal.Novel);
                ServedItemsTotal.WithLabels(signal.Experiment, signal.Variant).Inc(signal.Served);
                NovelItemsTotal.WithLabels(signal.Experiment, signal.Variant).Inc(signal.Novel);
                break;
            case ExperimentSignalKind.AttributedPlay:
                cell.Add(Slot.AttributedPlays, 1);
                AttributedPlaysTotal.WithLabels(signal.Experiment, signal.Variant).Inc();
                break;
            case ExperimentSignalKind.Outcome:
                var outcome = new OnlineOutcome(signal.Rank);
                cell.Add(Slot.Outcomes, 1);
                OutcomesTotal.WithLabels(signal.Experiment, signal.Variant).Inc();
                if (outcome.Hit)
                {
                    cell.Add(Slot.Hits, 1);
                    cell.Add(Slot.NdcgMicros, OutcomeCounters.Micros(outcome.Ndcg));
                    cell.Add(Slot.NdcgSquaredMicros, OutcomeCounters.Micros(outcome.Ndcg * outcome.Ndcg));
                    cell.Add(Slot.ReciprocalRankMicros, OutcomeCounters.Micros(outcome.ReciprocalRank));
                    cell.Add(Slot.ReciprocalRankSquaredMicros, OutcomeCounters.Micros(outcome.ReciprocalRank * outcome.ReciprocalRank));
                    HitsTotal.WithLabels(signal.Experiment, signal.Variant).Inc();
                    NdcgSum.WithLabels(signal.Experiment, signal.Variant).Inc(outcome.Ndcg);
                    ReciprocalRankSum.WithLabels(signal.Experiment, signal.Variant).Inc(outcome.ReciprocalRank);
                }

                if (signal.Credited is { } credited)
                {
                    CellOf(signal.Experiment, credited).Add(Slot.Wins, 1);
                    WinsTotal.WithLabels(signal.Experiment, credited).Inc();
                }

                break;
        }
    }

    /// <summary>Everything counted since the last call, by experiment and variant (counter deltas and the items' sketch).</summary>
    public List<TallyDelta> TakeDeltas()
    {
        var deltas = new List<TallyDelta>();
        foreach (var ((experiment, variant), cell) in _cells)
            if (cell.Take() is { } delta) deltas.Add(new TallyDelta(experiment, variant, delta.Counters, delta.Sketch));
        return deltas;
    }

    private Cell CellOf(string experiment, string variant) => _cells.GetOrAdd((experiment, variant), static _ => new Cell());

    /// <summary>The counters' positions, in <see cref="VariantTotals.Counters"/> order.</summary>
    internal enum Slot
    {
        Impressions, Outcomes, Hits, NdcgMicros, NdcgSquaredMicros, ReciprocalRankMicros, ReciprocalRankSquaredMicros,
        AttributedPlays, ServedItems, NovelItems, Wins, LatencyMicros,
    }

    private sealed class Cell
    {
        private readonly Lock _gate = new();
        private long[] _counters = new long[VariantTotals.Counters.Length];
        private byte[]? _sketch;

        public void Add(Slot slot, long value)
        {
            lock (_gate) _counters[(int)slot] += value;
        }

        public void Saw(int bit)
        {
            lock (_gate) ItemSketch.Set(_sketch ??= new byte[ItemSketch.Bytes], bit);
        }

        public (long[] Counters, byte[]? Sketch)? Take()
        {
            lock (_gate)
            {
                if (_sketch is null && Array.TrueForAll(_counters, c => c == 0)) return null;
                var taken = (_counters, _sketch);
                _counters = new long[VariantTotals.Counters.Length];
                _sketch = null;
                return taken;
            }
        }
    }
}

/// <summary>A variant's counts since the last replication: counters in <see cref="VariantTotals.Counters"/> order, and the served items' sketch (null: none served).</summary>
public sealed record TallyDelta(string Experiment, string Variant, long[] Counters, byte[]? Sketch);

public sealed class ExperimentTallyProvider : ExtensionIdProvider<ExperimentTally>
{
    public override ExperimentTally CreateExtension(ExtendedActorSystem system) => new();
}
