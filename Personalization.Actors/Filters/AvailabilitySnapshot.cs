using System.Collections.Frozen;

namespace Personalization.Actors.Filters;

/// <summary>An item withdrawn cluster-wide, as its latest record in the availability topic says.</summary>
/// <param name="Since">The record's Kafka timestamp (when it was produced).</param>
public sealed record WithdrawnItem(string ItemId, string? Reason, string? By, DateTimeOffset Since, int Partition, long Offset);

/// <summary>
/// The withdrawn items as of the availability topic's positions in <see cref="Positions"/>. Immutable: the reader
/// builds a new one and swaps it in (<see cref="ItemAvailability"/>), so a query reads one consistent set without a lock.
/// </summary>
public sealed class AvailabilitySnapshot
{
    public static AvailabilitySnapshot Empty { get; } = new(FrozenDictionary<string, WithdrawnItem>.Empty, FrozenDictionary<int, long>.Empty);

    private readonly FrozenDictionary<string, WithdrawnItem> _withdrawn;

    public AvailabilitySnapshot(FrozenDictionary<string, WithdrawnItem> withdrawn, FrozenDictionary<int, long> positions)
    {
        _withdrawn = withdrawn;
        Positions = positions;
    }

    public int Count => _withdrawn.Count;

    public bool IsEmpty => _withdrawn.Count == 0;

    /// <summary>Per partition of the topic, the next offset to read: every record before it is reflected.</summary>
    public FrozenDictionary<int, long> Positions { get; }

    public bool IsWithdrawn(string itemId) => _withdrawn.ContainsKey(itemId);

    public bool TryGet(string itemId, out WithdrawnItem? item) => _withdrawn.TryGetValue(itemId, out item);

    /// <summary>Every withdrawn item, by item id (ordinal).</summary>
    public IEnumerable<WithdrawnItem> Items() => _withdrawn.Values.OrderBy(i => i.ItemId, StringComparer.Ordinal);

    /// <summary>True when the record at <paramref name="offset"/> of <paramref name="partition"/> is reflected.</summary>
    public bool Reflects(int partition, long offset) => Positions.TryGetValue(partition, out var next) && next > offset;
}
