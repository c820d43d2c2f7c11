namespace Personalization.Actors.Delivery;

/// <summary>
/// Highest applied Kafka offset per partition. Almost always one partition (the user's own); several only when a
/// foreign producer put some of the user's records elsewhere, so the offsets of different partitions never mix.
/// </summary>
public sealed class PartitionOffsets
{
    // A node holds two per live user: the first partition lives in fields (a 40-byte object, no arrays), any other
    // partition in an array, in the order they came.
    private int _partition;
    private long _offset;
    private bool _any;
    private (int Partition, long Offset)[]? _more;

    public int Count => _any ? 1 + (_more?.Length ?? 0) : 0;

    public bool TryGet(int partition, out long offset)
    {
        if (_any && _partition == partition)
        {
            offset = _offset;
            return true;
        }

        if (_more is not null)
            foreach (var (p, o) in _more)
                if (p == partition)
                {
                    offset = o;
                    return true;
                }

        offset = -1;
        return false;
    }

    /// <summary>True when <paramref name="offset"/> of <paramref name="partition"/> is at or below what is recorded.</summary>
    public bool Covers(int partition, long offset) => TryGet(partition, out var last) && offset <= last;

    /// <summary>Records <paramref name="offset"/> if it is higher than what the partition has.</summary>
    public void Advance(int partition, long offset)
    {
        if (!_any)
        {
            (_partition, _offset, _any) = (partition, offset, true);
            return;
        }

        if (_partition == partition)
        {
            if (offset > _offset) _offset = offset;
            return;
        }

        if (_more is not null)
            for (var i = 0; i < _more.Length; i++)
                if (_more[i].Partition == partition)
                {
                    if (offset > _more[i].Offset) _more[i].Offset = offset;
                    return;
                }

        _more = [.. _more ?? [], (partition, offset)];
    }

    public IEnumerable<(int Partition, long Offset)> Entries()
    {
        if (!_any) yield break;
        yield return (_partition, _offset);
        if (_more is not null)
            foreach (var entry in _more)
                yield return entry;
    }

    public PartitionOffsets Clone() => new() { _partition = _partition, _offset = _offset, _any = _any, _more = _more?.ToArray() };
}
