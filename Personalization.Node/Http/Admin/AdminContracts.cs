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

public sealed record PartitionPositionDto(int Partition, long Committable, long Committed);

/// <summary>
/// Ingest on this node. Positions are per owned partition; the event counters are the process's Prometheus counters
/// (one node per process in production).
/// </summary>
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
    long RemoteDeliveries);

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
