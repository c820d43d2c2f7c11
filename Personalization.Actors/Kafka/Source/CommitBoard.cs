using Confluent.Kafka;

namespace Personalization.Actors.Kafka.Source;

/// <summary>
/// Hands committable offsets from the source stage (which tracks acks) to the poll thread (which owns the consumer
/// and commits). Each assignment of a partition has its own epoch, so a value published for an earlier ownership
/// of a partition can never be committed for a later one.
/// </summary>
internal sealed class CommitBoard
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, Entry> _entries = new();

    private sealed class Entry(long epoch)
    {
        public readonly long Epoch = epoch;
        public long Committable = -1;
        public long Committed = -1;
    }

    public void Open(int partition, long epoch)
    {
        lock (_gate) _entries[partition] = new Entry(epoch);
    }

    /// <summary>From the stage: the acknowledged prefix of <paramref name="partition"/> now ends at <paramref name="committable"/>.</summary>
    public void Publish(int partition, long epoch, long committable)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(partition, out var entry) && entry.Epoch == epoch && committable > entry.Committable)
                entry.Committable = committable;
        }
    }

    /// <summary>The acknowledged prefix of <paramref name="partition"/> ends before this offset (-1: nothing yet, or not owned).</summary>
    public long CommittablePosition(int partition)
    {
        lock (_gate) return _entries.TryGetValue(partition, out var entry) ? entry.Committable : -1;
    }

    /// <summary>Committable and committed positions of every open partition, by partition.</summary>
    public List<PartitionPosition> Positions()
    {
        lock (_gate)
        {
            return _entries.OrderBy(e => e.Key).Select(e => new PartitionPosition(e.Key, e.Value.Committable, e.Value.Committed)).ToList();
        }
    }

    /// <summary>Forgets the partition; returns the offset still to commit for it, or -1.</summary>
    public long Close(int partition)
    {
        lock (_gate)
        {
            if (!_entries.Remove(partition, out var entry)) return -1;
            return entry.Committable > entry.Committed ? entry.Committable : -1;
        }
    }

    /// <summary>Offsets acknowledged since the last successful commit, or null.</summary>
    public List<TopicPartitionOffset>? TakeDue(string topic)
    {
        List<TopicPartitionOffset>? due = null;
        lock (_gate)
        {
            foreach (var (partition, entry) in _entries)
            {
                if (entry.Committable > entry.Committed)
                    (due ??= []).Add(new TopicPartitionOffset(topic, partition, entry.Committable));
            }
        }

        return due;
    }

    public void MarkCommitted(List<TopicPartitionOffset> offsets)
    {
        lock (_gate)
        {
            foreach (var tpo in offsets)
            {
                if (_entries.TryGetValue(tpo.Partition.Value, out var entry) && tpo.Offset.Value > entry.Committed)
                    entry.Committed = tpo.Offset.Value;
            }
        }
    }
}
