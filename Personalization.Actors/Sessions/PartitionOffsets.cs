namespace Personalization.Actors.Sessions;

/// <summary>
/// Highest applied Kafka offset per partition. Almost always one partition (the user's own); several only when a
/// foreign producer put some of the user's records elsewhere, so the offsets of different partitions never mix.
/// </summary>
public sealed class PartitionOffsets
{
    // Tiny and usually of length 1: a pair of arrays beats a dictionary in memory per user.
    private int[] _partitions = [];
    private long[] _offsets = [];

    public int Count => _partitions.Length;

    public bool TryGet(int partition, out long offset)
    {
        var i = Array.IndexOf(_partitions, partition);
        offset = i >= 0 ? _offsets[i] : -1;
        return i >= 0;
    }

    /// <summary>True when <paramref name="offset"/> of <paramref name="partition"/> is at or below what is recorded.</summary>
    public bool Covers(int partition, long offset) => TryGet(partition, out var last) && offset <= last;

    /// <summary>Records <paramref name="offset"/> if it is higher than what the partition has.</summary>
    public void Advance(int partition, long offset)
    {
        var i = Array.IndexOf(_partitions, partition);
        if (i >= 0)
        {
            if (offset > _offsets[i]) _offsets[i] = offset;
            return;
        }

        _partitions = [.. _partitions, partition];
        _offsets = [.. _offsets, offset];
    }

    public IEnumerable<(int Partition, long Offset)> Entries()
    {
        for (var i = 0; i < _partitions.Length; i++) yield return (_partitions[i], _offsets[i]);
    }

    public PartitionOffsets Clone() => new() { _partitions = (int[])_partitions.Clone(), _offsets = (long[])_offsets.Clone() };
}
