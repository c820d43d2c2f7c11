namespace Personalization.Actors.Kafka.Source;

/// <summary>
/// What an operator asks of a running source ("ingest status"): the partitions it owns with their acknowledged
/// (committable) and committed positions, and the records in flight, buffered and paused partitions. The counts
/// are the stage's, refreshed with its gauges (every 250 ms); the positions are read when asked.
/// </summary>
public sealed record KafkaSourceStatus(
    IReadOnlyList<PartitionPosition> Partitions,
    long InFlight,
    long Buffered,
    int PausedPartitions);

/// <summary>
/// One owned partition: every record before <paramref name="Committable"/> is acknowledged (durable or dead-lettered),
/// <paramref name="Committed"/> is the last position committed to Kafka; -1: none yet.
/// </summary>
public sealed record PartitionPosition(int Partition, long Committable, long Committed);
