namespace Personalization.Actors.Kafka.Source;

/// <summary>
/// Offsets of one partition emitted downstream and not yet covered by a commit. Acks arrive out of order; the
/// committable offset is the Kafka commit position (next offset to read) after the longest prefix of emitted offsets
/// that are all acknowledged. Offsets need not be contiguous (compaction, transaction markers): the tracker knows the
/// emitted set, never assumes offset + 1. Not thread-safe (owned by the source stage).
/// </summary>
public sealed class OffsetTracker
{
    // Ring of emitted, not yet released offsets in increasing order; _acked flags which are acknowledged.
    private long[] _offsets;
    private bool[] _acked;
    private int _head;
    private int _count;

    public OffsetTracker(int initialCapacity = 64)
    {
        var capacity = (int)Math.Max(4, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)initialCapacity));
        _offsets = new long[capacity];
        _acked = new bool[capacity];
    }

    /// <summary>Emitted and not acknowledged.</summary>
    public int InFlight { get; private set; }

    /// <summary>The highest offset emitted, or -1.</summary>
    public long LastEmitted { get; private set; } = -1;

    /// <summary>The oldest emitted offset not yet acknowledged (where a redelivery must start), or -1.</summary>
    public long FirstUnacked => _count > 0 ? _offsets[_head] : -1;

    /// <summary>Kafka commit position (last offset of the acknowledged prefix + 1), or -1 while nothing is acknowledged.</summary>
    public long Committable { get; private set; } = -1;

    /// <summary>Records an emitted offset. Returns false (and records nothing) unless it is above every offset emitted before.</summary>
    public bool Emitted(long offset)
    {
        if (offset <= LastEmitted || offset < 0) return false;
        if (_count == _offsets.Length) Grow();
        var slot = (_head + _count) & (_offsets.Length - 1);
        _offsets[slot] = offset;
        _acked[slot] = false;
        _count++;
        InFlight++;
        LastEmitted = offset;
        return true;
    }

    /// <summary>
    /// Marks an emitted offset acknowledged. Returns false for offsets never emitted here, already released by the
    /// prefix, or acknowledged before (duplicates change nothing).
    /// </summary>
    public bool Ack(long offset)
    {
        var index = Find(offset);
        if (index < 0) return false;
        var slot = (_head + index) & (_offsets.Length - 1);
        if (_acked[slot]) return false;
        _acked[slot] = true;
        InFlight--;
        if (index == 0) ReleasePrefix();
        return true;
    }

    /// <summary>Acknowledges each offset; returns how many were new acknowledgements.</summary>
    public int Ack(ReadOnlySpan<long> offsets)
    {
        var accepted = 0;
        foreach (var offset in offsets)
            if (Ack(offset)) accepted++;
        return accepted;
    }

    private void ReleasePrefix()
    {
        var mask = _offsets.Length - 1;
        while (_count > 0 && _acked[_head])
        {
            Committable = _offsets[_head] + 1;
            _head = (_head + 1) & mask;
            _count--;
        }
    }

    /// <summary>Binary search over the ring (offsets are increasing); index relative to the head, or -1.</summary>
    private int Find(long offset)
    {
        if (_count == 0) return -1;
        var mask = _offsets.Length - 1;
        int lo = 0, hi = _count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var value = _offsets[(_head + mid) & mask];
            if (value == offset) return mid;
            if (value < offset) lo = mid + 1;
            else hi = mid - 1;
        }

        return -1;
    }

    private void Grow()
    {
        var offsets = new long[_offsets.Length * 2];
        var acked = new bool[_offsets.Length * 2];
        var mask = _offsets.Length - 1;
        for (var i = 0; i < _count; i++)
        {
            offsets[i] = _offsets[(_head + i) & mask];
            acked[i] = _acked[(_head + i) & mask];
        }

        _offsets = offsets;
        _acked = acked;
        _head = 0;
    }
}
