using System.Collections.Frozen;
using Personalization.Actors.Filters;

namespace Personalization.Actors.Kafka.Availability;

// What one consumer of ItemAvailabilityReader builds, from the beginning of the topic: the reader's thread alone uses it.

/// <summary>One partition of one read: where it started, the end offset at assignment (the start-up target), the next offset to read.</summary>
internal sealed class PartitionProgress(long low, long target)
{
    public long Low { get; } = low;

    public long Target { get; } = target;

    public long Next { get; set; } = low;
}

/// <summary>The state one consumer builds from the beginning of the topic.</summary>
internal sealed class AvailabilityReadPass(bool rereading)
{
    public bool Rereading { get; } = rereading;

    public Dictionary<int, PartitionProgress> Partitions { get; } = [];

    public Dictionary<string, WithdrawnItem> Withdrawn { get; } = new(StringComparer.Ordinal);

    public FrozenDictionary<string, WithdrawnItem> Frozen { get; set; } = FrozenDictionary<string, WithdrawnItem>.Empty;

    public bool TopicMissing { get; set; }

    public bool CaughtUp { get; set; }

    public bool WithdrawnChanged { get; set; }

    public bool PositionsChanged { get; set; }

    public long LastPublished { get; set; }

    public long Invalid { get; set; }

    public void ReachedEnd(int partition, long offset)
    {
        if (!Partitions.TryGetValue(partition, out var progress) || offset <= progress.Next) return;
        progress.Next = offset;
        PositionsChanged = true;
    }

    public bool AtTargets() => Partitions.Values.All(p => p.Next >= p.Target);
}
