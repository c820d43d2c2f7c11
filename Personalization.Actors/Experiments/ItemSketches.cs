using System.Collections.Immutable;
using Akka.DistributedData;

namespace Personalization.Actors.Experiments;

/// <summary>
/// The served-item sketches of one experiment by variant, as a replicated value: merging ORs each variant's bits, so
/// it converges whatever order nodes' additions arrive in (a grow-only set of bits). Akka's own types have no bitmap.
/// </summary>
public sealed class ItemSketches(ImmutableDictionary<string, byte[]> sketches) : IReplicatedData<ItemSketches>
{
    public static readonly ItemSketches Empty = new(ImmutableDictionary<string, byte[]>.Empty.WithComparers(StringComparer.Ordinal));

    public ImmutableDictionary<string, byte[]> Sketches { get; } = sketches;

    public ItemSketches Add(string variant, byte[] sketch) =>
        new(Sketches.SetItem(variant, Sketches.TryGetValue(variant, out var current) ? ItemSketch.Union(current, sketch) : ItemSketch.Union(sketch, [])));

    public long DistinctItems(string variant) => Sketches.TryGetValue(variant, out var sketch) ? ItemSketch.Estimate(sketch) : 0;

    public ItemSketches Merge(ItemSketches other)
    {
        var merged = Sketches;
        foreach (var (variant, sketch) in other.Sketches)
            merged = merged.SetItem(variant, merged.TryGetValue(variant, out var mine) ? ItemSketch.Union(mine, sketch) : sketch);
        return new ItemSketches(merged);
    }

    public IReplicatedData Merge(IReplicatedData other) => Merge((ItemSketches)other);
}
