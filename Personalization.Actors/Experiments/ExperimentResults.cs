using System.Numerics;
using Akka.Actor;
using Akka.DistributedData;

namespace Personalization.Actors.Experiments;

/// <summary>An experiment's counters summed over the cluster, per variant in definition order.</summary>
public sealed record ExperimentResults(VariantTotals[] Totals, long[] DistinctItems, bool FromMajority);

public static class ExperimentResultsReader
{
    /// <summary>
    /// Pushes this node's pending counts (<see cref="FlushTally"/>), then reads the replicated counters from a
    /// majority of nodes, or from this node alone when a majority does not answer within <paramref name="timeout"/>
    /// (<see cref="ExperimentResults.FromMajority"/> says which).
    /// </summary>
    public static async Task<ExperimentResults> ReadAsync(ActorSystem system, IActorRef experiments, ExperimentDefinition experiment, TimeSpan timeout, CancellationToken ct = default)
    {
        await experiments.Ask<Flushed>(FlushTally.Instance, timeout, ct).ConfigureAwait(false);
        var replicator = DistributedData.Get(system).Replicator;
        var (counters, countersMajority) = await ReadAsync(replicator, ExperimentReplicator.CountersKey(experiment.Name), PNCounterDictionary<string>.Empty, timeout, ct);
        var (sketches, sketchesMajority) = await ReadAsync(replicator, ExperimentReplicator.SketchesKey(experiment.Name), ItemSketches.Empty, timeout, ct);
        var totals = new VariantTotals[experiment.Variants.Length];
        var distinct = new long[experiment.Variants.Length];
        for (var v = 0; v < totals.Length; v++)
        {
            var name = experiment.Variants[v].Name;
            totals[v] = VariantTotals.FromCounters(counter =>
                counters.TryGetValue($"{name}/{counter}", out BigInteger value) ? (long)value : 0);
            distinct[v] = sketches.DistinctItems(name);
        }

        return new ExperimentResults(totals, distinct, countersMajority && sketchesMajority);
    }

    private static async Task<(T Value, bool Majority)> ReadAsync<T>(IActorRef replicator, IKey<T> key, T empty, TimeSpan timeout, CancellationToken ct)
        where T : class, IReplicatedData<T>
    {
        var majority = await replicator.Ask<IGetResponse>(Dsl.Get(key, new ReadMajority(timeout)), timeout + TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        if (majority is GetSuccess found) return (found.Get(key), true);
        if (majority is NotFound) return (empty, true);
        var local = await replicator.Ask<IGetResponse>(Dsl.Get(key, ReadLocal.Instance), timeout, ct).ConfigureAwait(false);
        return local is GetSuccess mine ? (mine.Get(key), false) : (empty, false);
    }
}
