using System.Text.Json.Serialization;

namespace Personalization.Node.Http.Admin;

// The admin API's bodies. The console verb of the same binary reads them with the same records, so the two sides
// cannot drift apart.

public sealed record MemberDto(string Address, string Status, IReadOnlyList<string> Roles, int? UpOrder, bool Reachable, bool IsLeader, bool IsSelf);

/// <summary>This node's view of the cluster: members oldest first (<see cref="MemberDto.UpOrder"/> 1 = the oldest Up member).</summary>
public sealed record ClusterStateDto(string Self, string? Leader, IReadOnlyList<MemberDto> Members, IReadOnlyList<string> Unreachable);

public sealed record ClusterAddressRequest(string Address);

public sealed record MessageDto(string Message);

public sealed record ShardingRegionsDto(IReadOnlyList<string> TypeNames);

public sealed record ShardCountDto(string ShardId, int Entities);

public sealed record RegionStatsDto(string Address, IReadOnlyList<ShardCountDto> Shards, int Entities);

/// <summary>Every region of a type in the cluster (GetClusterShardingStats); <see cref="FailedShards"/> did not answer in time.</summary>
public sealed record ClusterShardingStatsDto(string TypeName, IReadOnlyList<RegionStatsDto> Regions, IReadOnlyList<string> FailedShards);

/// <summary>The shards of a type hosted on this node (GetShardRegionState).</summary>
public sealed record ShardRegionStateDto(string TypeName, string Node, IReadOnlyList<ShardCountDto> Shards, int Entities, IReadOnlyList<string> FailedShards);

public sealed record ShardEntityIdsDto(string ShardId, IReadOnlyList<string> EntityIds);

/// <summary>
/// The entities of a type living on this node (GetShardRegionState) and this node's status in its own view of the
/// cluster (<see cref="NodeStatus"/>: Up, Leaving, Exiting, Down…); <see cref="Truncated"/> when there were more ids
/// than the limit (<see cref="Entities"/> counts them all).
/// </summary>
public sealed record ShardEntitiesDto(string TypeName, string Node, string NodeStatus, IReadOnlyList<ShardEntityIdsDto> Shards, int Entities, bool Truncated);

/// <summary><see cref="Items"/> counts real items (the vocabulary without its padding row 0).</summary>
public sealed record ModelInfoDto(string Name, string Version, int StateSize, int Items);

/// <summary>An A/B variant: its share of users, and its own model or null when it follows the current one.</summary>
public sealed record VariantDto(string Name, double Weight, double Share, ModelInfoDto? Model);

public sealed record ModelStatusDto(ModelInfoDto Current, string Path, DateTimeOffset LoadedAt, int Loads, IReadOnlyList<VariantDto> Variants);

public sealed record ModelLoadRequest(string Path);

/// <summary>
/// One partition this node consumes (<c>ingest status</c>). Offsets are Kafka offsets; -1 means "not known (yet)".
/// Lag and rates come from the ingest monitor, which asks the broker for the partition's watermarks every
/// <c>DataQuality:SampleIntervalSeconds</c> (5 s), so they are up to one interval old; the positions are read when asked.
/// </summary>
/// <param name="Partition">The partition (= the user shard of the same number).</param>
/// <param name="Committable">Every record before this offset is acknowledged: durable in its user's checkpoint, or dead-lettered.</param>
/// <param name="Committed">The last offset committed to Kafka for this ownership of the partition (a restart reads from here).</param>
/// <param name="HighWatermark">The partition's end: the offset its next record will get (-1 before the first sample).</param>
/// <param name="Lag">Records from the committed position to <see cref="HighWatermark"/>: Kafka's consumer-group lag (-1 unknown).</param>
/// <param name="UnacknowledgedLag">Records from <see cref="Committable"/> to <see cref="HighWatermark"/>: not yet durable (in flight, buffered or unread; -1 unknown).</param>
/// <param name="RecordsPerSecond">How fast records arrive in the partition (its high watermark's growth over the last sample): the producers' rate, not the node's (-1 unknown).</param>
/// <param name="RateDropped">True while the partition's rate is in a sudden drop (below <c>DataQuality:RateDropRatio</c> of its baseline).</param>
/// <param name="DeadLetteredPerSecond">Records of this partition written to the DLQ per second over the last sample.</param>
/// <param name="Quality">The partition's data-quality counts since the node started (null from a node without them).</param>
public sealed record PartitionPositionDto(
    int Partition,
    long Committable,
    long Committed,
    long HighWatermark = -1,
    long Lag = -1,
    long UnacknowledgedLag = -1,
    double RecordsPerSecond = -1,
    bool RateDropped = false,
    double DeadLetteredPerSecond = 0,
    DataQualityDto? Quality = null);

/// <summary>Records dead-lettered for one reason class (<c>personalization_dlq_records_total{reason}</c>).</summary>
/// <param name="Reason">empty, encoding, malformed_json, missing_field, duplicate_field, invalid_field, unknown_type, key_mismatch, internal_error, other.</param>
public sealed record ReasonCountDto(string Reason, long Count);

/// <summary>
/// Data-quality counts since the node started (README, "Data quality"), for one partition or summed over the node's.
/// Nothing counted here was refused for it, except what went to the DLQ.
/// </summary>
/// <param name="DeadLettered">Records written to the dead-letter queue, every reason together (= <see cref="SchemaViolations"/> + internal errors).</param>
/// <param name="SchemaViolations">Dead-lettered records that are not a listening event (every reason class but internal_error).</param>
/// <param name="DeadLetteredByReason">Dead-lettered records by reason class; classes with no record are left out.</param>
/// <param name="UnknownItems">Events whose item is not in the serving model's vocabulary (recorded, not stepped).</param>
/// <param name="OutOfTimeOrder">Events whose timestamp is earlier than their user's latest one.</param>
/// <param name="FutureTimestamps">Events further ahead of the node's clock than <c>DataQuality:FutureToleranceSeconds</c>.</param>
/// <param name="PastTimestamps">Events further behind the node's clock than <c>DataQuality:PastToleranceSeconds</c>.</param>
/// <param name="DuplicateOffsets">Offsets their user had applied already (redeliveries; skipped).</param>
/// <param name="Misrouted">Records on another partition than murmur2(user) % partitions (a producer with the wrong partitioner; still delivered).</param>
/// <param name="RateDrops">Sudden drops of the partition's record rate (each drop once).</param>
public sealed record DataQualityDto(
    long DeadLettered,
    long SchemaViolations,
    IReadOnlyList<ReasonCountDto> DeadLetteredByReason,
    long UnknownItems,
    long OutOfTimeOrder,
    long FutureTimestamps,
    long PastTimestamps,
    long DuplicateOffsets,
    long Misrouted,
    long RateDrops);

/// <summary>
/// Ingest on this node. Positions are per owned partition; the event counters are the process's Prometheus counters
/// (one node per process in production).
/// </summary>
/// <param name="Consuming">Joined the consumer group and consuming (the readiness check's "kafka").</param>
/// <param name="Detail">What the readiness check says: "consuming N partitions", "joining …", "restarting after a failure …".</param>
/// <param name="Partitions">The owned partitions in order, with positions, lag, rates and data quality.</param>
/// <param name="InFlight">Records emitted and not yet acknowledged, all partitions.</param>
/// <param name="Buffered">Records fetched and not yet emitted.</param>
/// <param name="PausedPartitions">Partitions paused at their in-flight bound (backpressure).</param>
/// <param name="Lag">Sum of the known <see cref="PartitionPositionDto.Lag"/>s of the owned partitions (-1: none known yet).</param>
/// <param name="DeadLetteredPerSecond">Sum of the owned partitions' <see cref="PartitionPositionDto.DeadLetteredPerSecond"/>.</param>
/// <param name="Quality">Data-quality counts of every partition this node has counted since it started, summed (null from a node without them).</param>
public sealed record IngestStatusDto(
    bool Consuming,
    string Detail,
    string Topic,
    string Group,
    IReadOnlyList<PartitionPositionDto> Partitions,
    long InFlight,
    long Buffered,
    int PausedPartitions,
    long EventsApplied,
    long EventsDurable,
    long DuplicatesSkipped,
    long RemoteDeliveries,
    long Lag = -1,
    double DeadLetteredPerSecond = 0,
    DataQualityDto? Quality = null);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ClusterStateDto))]
[JsonSerializable(typeof(ClusterAddressRequest))]
[JsonSerializable(typeof(MessageDto))]
[JsonSerializable(typeof(ShardingRegionsDto))]
[JsonSerializable(typeof(ClusterShardingStatsDto))]
[JsonSerializable(typeof(ShardRegionStateDto))]
[JsonSerializable(typeof(ShardEntitiesDto))]
[JsonSerializable(typeof(ModelStatusDto))]
[JsonSerializable(typeof(ModelLoadRequest))]
[JsonSerializable(typeof(IngestStatusDto))]
[JsonSerializable(typeof(ErrorDto))]
public sealed partial class AdminJsonContext : JsonSerializerContext;
