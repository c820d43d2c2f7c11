namespace Personalization.Actors.Kafka.Source;

/// <summary>What the poll thread tells the source stage, in order, through one async callback.</summary>
internal abstract record PollEvent;

internal sealed record RecordsFetched(List<ConsumedRecord> Records) : PollEvent;

internal sealed record PartitionsAssigned(IReadOnlyList<(int Partition, long Epoch)> Partitions) : PollEvent;

/// <summary>The committable offsets of these partitions are already committed (unless <paramref name="Lost"/>).</summary>
internal sealed record PartitionsRevoked(IReadOnlyList<int> Partitions, bool Lost) : PollEvent;

/// <summary>The partition was sought back to <paramref name="Offset"/>: records after this event are read again from there.</summary>
internal sealed record PartitionRewound(int Partition, long Offset) : PollEvent;

/// <summary>The consumer is closed; <paramref name="Error"/> says why if it failed.</summary>
internal sealed record PollLoopStopped(Exception? Error) : PollEvent;
