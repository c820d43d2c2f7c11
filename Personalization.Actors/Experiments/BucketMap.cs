using System.Collections.Immutable;
using Personalization.Actors.Model;

namespace Personalization.Actors.Experiments;

/// <summary>
/// Which variant each of the <see cref="VariantAssignment.Buckets"/> user buckets belongs to. A user's bucket is a
/// stable hash of its id and the experiment's salt (<see cref="VariantAssignment.BucketOf"/>), so the map is the whole
/// assignment. Immutable.
/// </summary>
public sealed class BucketMap
{
    private readonly byte[] _variantOfBucket;

    private BucketMap(byte[] variantOfBucket) => _variantOfBucket = variantOfBucket;

    public const int MaxVariants = 16;

    public int VariantAt(int bucket) => _variantOfBucket[bucket];

    /// <summary>The raw map, one byte per bucket (for serialization).</summary>
    public ReadOnlySpan<byte> Bytes => _variantOfBucket;

    /// <summary>How many buckets each of <paramref name="variants"/> variants holds.</summary>
    public int[] Counts(int variants)
    {
        var counts = new int[variants];
        foreach (var v in _variantOfBucket) counts[v]++;
        return counts;
    }

    public static BucketMap FromBytes(ReadOnlySpan<byte> bytes, int variants)
    {
        if (bytes.Length != VariantAssignment.Buckets)
            throw new ArgumentException($"a bucket map has {VariantAssignment.Buckets} entries, got {bytes.Length}", nameof(bytes));
        foreach (var v in bytes)
            if (v >= variants) throw new ArgumentException($"bucket map names variant {v} of {variants}", nameof(bytes));
        return new BucketMap(bytes.ToArray());
    }

    /// <summary>A first assignment: contiguous runs of buckets in variant order, sized by <see cref="Targets"/>.</summary>
    public static BucketMap Allocate(IReadOnlyList<double> weights)
    {
        var targets = Targets(weights);
        var map = new byte[VariantAssignment.Buckets];
        var b = 0;
        for (var v = 0; v < targets.Length; v++)
            for (var i = 0; i < targets[v]; i++) map[b++] = (byte)v;
        return new BucketMap(map);
    }

    /// <summary>
    /// New weights, moving as few users as possible: a variant above its new share gives up its highest buckets, the
    /// freed buckets go to the variants below theirs in bucket order. Exactly the sum of the shortfalls moves; no
    /// user moves between two variants that both keep or both grow.
    /// </summary>
    public BucketMap Rebalance(IReadOnlyList<double> weights)
    {
        var targets = Targets(weights);
        var counts = Counts(targets.Length);
        var map = (byte[])_variantOfBucket.Clone();
        var freed = new List<int>();
        for (var b = map.Length - 1; b >= 0; b--)
        {
            var v = map[b];
            if (counts[v] > targets[v])
            {
                counts[v]--;
                freed.Add(b);
            }
        }

        freed.Sort();
        var next = 0;
        for (var v = 0; v < targets.Length; v++)
        {
            while (counts[v] < targets[v])
            {
                map[freed[next++]] = (byte)v;
                counts[v]++;
            }
        }

        return new BucketMap(map);
    }

    /// <summary>
    /// Buckets per variant for relative <paramref name="weights"/>: largest remainder, so they sum to exactly
    /// <see cref="VariantAssignment.Buckets"/> and each is within one bucket of its exact share (ties: lower index).
    /// </summary>
    public static int[] Targets(IReadOnlyList<double> weights)
    {
        if (weights.Count is 0 or > MaxVariants) throw new ArgumentException($"1 to {MaxVariants} variants, got {weights.Count}", nameof(weights));
        var total = 0.0;
        foreach (var w in weights)
        {
            if (!(w >= 0) || double.IsInfinity(w)) throw new ArgumentException("weights must be finite and non-negative", nameof(weights));
            total += w;
        }

        if (total <= 0) throw new ArgumentException("weights must not all be zero", nameof(weights));
        var targets = new int[weights.Count];
        var remainders = new (double Remainder, int Index)[weights.Count];
        var assigned = 0;
        for (var v = 0; v < weights.Count; v++)
        {
            var exact = weights[v] / total * VariantAssignment.Buckets;
            targets[v] = (int)Math.Floor(exact);
            assigned += targets[v];
            remainders[v] = (exact - targets[v], v);
        }

        foreach (var (_, index) in remainders.OrderByDescending(r => r.Remainder).ThenBy(r => r.Index).Take(VariantAssignment.Buckets - assigned))
            targets[index]++;
        return targets;
    }

    public ImmutableArray<double> Shares(int variants) => [.. Counts(variants).Select(c => c / (double)VariantAssignment.Buckets)];
}
