using System.Runtime.InteropServices;

namespace Personalization.Actors.Delivery;

/// <summary>
/// The source's half of lost-event detection (docs/DESIGN.md, "Delivery protocol"): per partition, each user's last
/// event that may still be unacknowledged, so the next event of that user can name it as its predecessor. Entries
/// below the partition's acknowledged position are durable and pruned, so the chain holds about the users with events
/// in flight. A rewind of the partition (a new generation) starts its chain afresh: the re-read events name their
/// predecessors again. Dead-lettered records never enter it: they are nobody's predecessor. Not thread-safe (one
/// ingest stream owns it).
/// </summary>
public sealed class PredecessorChain(Func<int, long> acknowledgedPosition, int minPruneAt = 50_000)
{
    private readonly Dictionary<int, PartitionChain> _partitions = new();

    /// <summary>
    /// Records <paramref name="offset"/> as <paramref name="user"/>'s last event in <paramref name="partition"/> and
    /// returns the one before it (-1: none that may still be unacknowledged).
    /// </summary>
    public long Next(int partition, long generation, string user, long offset)
    {
        if (!_partitions.TryGetValue(partition, out var chain) || chain.Generation != generation)
            _partitions[partition] = chain = new PartitionChain(generation, minPruneAt);
        else if (chain.Count > chain.PruneAt)
            chain.PruneBelow(acknowledgedPosition(partition));
        return chain.Exchange(user, offset);
    }

    /// <summary>Users tracked in <paramref name="partition"/> (for tests and operators).</summary>
    public int Tracked(int partition) => _partitions.TryGetValue(partition, out var chain) ? chain.Count : 0;

    private sealed class PartitionChain(long generation, int minPruneAt)
    {
        private readonly Dictionary<string, long> _last = new(StringComparer.Ordinal);

        public long Generation { get; } = generation;

        /// <summary>Size that triggers the next prune: twice what survived the last one, so pruning stays amortised O(1).</summary>
        public int PruneAt { get; private set; } = minPruneAt;

        private int MinPruneAt { get; } = minPruneAt;

        public int Count => _last.Count;

        public long Exchange(string user, long offset)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_last, user, out var existed);
            var previous = existed ? slot : -1;
            slot = offset;
            return previous;
        }

        public void PruneBelow(long position)
        {
            if (position < 0) return;
            foreach (var (user, offset) in _last)
                if (offset < position) _last.Remove(user);
            PruneAt = Math.Max(MinPruneAt, 2 * _last.Count);
        }
    }
}
