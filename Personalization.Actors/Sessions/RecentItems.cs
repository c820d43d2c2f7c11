using Personalization.Actors.Events;

namespace Personalization.Actors.Sessions;

/// <summary>An item the user touched: id (the vocabulary's shared string when known), what they did, when.</summary>
public readonly record struct RecentItem(string ItemId, EventType Type, long Timestamp);

/// <summary>
/// Bounded ring of the most recent items, oldest first; the oldest falls out when full. A node holds one per live
/// user, so it is small: the array grows (doubling) up to <see cref="Capacity"/> only as items arrive, and a slot is
/// 16 bytes (the id and the time with the type in its two low bits) instead of a <see cref="RecentItem"/>'s 24.
/// </summary>
public sealed class RecentItems
{
    private Slot[] _ring = [];
    private int _start;

    public RecentItems(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count { get; private set; }

    public void Add(RecentItem item)
    {
        if (Count < Capacity)
        {
            // Not full yet: items are appended from index 0 (_start stays 0), so growing keeps the order.
            if (Count == _ring.Length) Resize(Math.Min(Capacity, Math.Max(1, 2 * _ring.Length)));
            _ring[Count++] = Slot.Of(item);
        }
        else
        {
            _ring[_start] = Slot.Of(item);
            _start = (_start + 1) % Capacity;
        }
    }

    /// <summary>Room for <paramref name="count"/> items (at most <see cref="Capacity"/>) without growing, e.g. before restoring a checkpoint.</summary>
    public void Reserve(int count)
    {
        var size = Math.Min(Capacity, count);
        if (size > _ring.Length && Count < Capacity) Resize(size);
    }

    /// <summary>Item i, 0 = oldest kept.</summary>
    public RecentItem this[int i] => (uint)i < (uint)Count ? _ring[(_start + i) % _ring.Length].Item : throw new ArgumentOutOfRangeException(nameof(i));

    public List<RecentItem> ToList()
    {
        var list = new List<RecentItem>(Count);
        for (var i = 0; i < Count; i++) list.Add(this[i]);
        return list;
    }

    private void Resize(int size)
    {
        var bigger = new Slot[size];
        Array.Copy(_ring, bigger, Count);
        _ring = bigger;
    }

    /// <summary>
    /// A <see cref="RecentItem"/> in 16 bytes: the id string and (timestamp &lt;&lt; 2 | type − 1). A timestamp or type
    /// outside what that holds (|ts| ≥ 2^61 ms, an undefined type) is kept whole, boxed, in the reference field.
    /// </summary>
    private readonly struct Slot
    {
        private const long MaxPacked = long.MaxValue >> 2;
        private const long MinPacked = long.MinValue >> 2;

        private readonly object _idOrItem;
        private readonly long _packed;

        private Slot(object idOrItem, long packed)
        {
            _idOrItem = idOrItem;
            _packed = packed;
        }

        public RecentItem Item => _idOrItem is string id
            ? new RecentItem(id, (EventType)((int)(_packed & 3) + 1), _packed >> 2)
            : (RecentItem)_idOrItem;

        public static Slot Of(RecentItem item) =>
            (uint)(item.Type - 1) <= 3 && item.Timestamp is >= MinPacked and <= MaxPacked && item.ItemId is not null
                ? new Slot(item.ItemId, (item.Timestamp << 2) | (long)(item.Type - 1))
                : new Slot(item, 0);
    }
}
