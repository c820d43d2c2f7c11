using Personalization.Actors.Events;

namespace Personalization.Actors.Sessions;

/// <summary>An item the user touched: id (the vocabulary's shared string when known), what they did, when.</summary>
public readonly record struct RecentItem(string ItemId, EventType Type, long Timestamp);

/// <summary>Bounded ring of the most recent items, oldest first; the oldest falls out when full.</summary>
public sealed class RecentItems
{
    private readonly RecentItem[] _ring;
    private int _start;

    public RecentItems(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new RecentItem[capacity];
    }

    public int Capacity => _ring.Length;

    public int Count { get; private set; }

    public void Add(RecentItem item)
    {
        if (Count < _ring.Length)
        {
            _ring[(_start + Count) % _ring.Length] = item;
            Count++;
        }
        else
        {
            _ring[_start] = item;
            _start = (_start + 1) % _ring.Length;
        }
    }

    /// <summary>Item i, 0 = oldest kept.</summary>
    public RecentItem this[int i] => (uint)i < (uint)Count ? _ring[(_start + i) % _ring.Length] : throw new ArgumentOutOfRangeException(nameof(i));

    public List<RecentItem> ToList()
    {
        var list = new List<RecentItem>(Count);
        for (var i = 0; i < Count; i++) list.Add(this[i]);
        return list;
    }
}
