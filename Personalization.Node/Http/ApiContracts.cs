using System.Text.Json.Serialization;

namespace Personalization.Node.Http;

/// <param name="Variant">Interleaving: the variant whose ranker picked the item (absent otherwise).</param>
public sealed record RecommendedItemDto(string ItemId, float Score, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Variant = null);

public sealed record ModelDto(string Name, string Version);

public sealed record RecommendationsDto(
    string UserId,
    IReadOnlyList<RecommendedItemDto> Items,
    ModelDto Model,
    long EventsReflected,
    bool ColdStart,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DegradedDto? Degraded = null)
{
    /// <summary>This answer's id: events that carry it (<c>"recommendationId"</c>) are attributed to it; its impression record has it.</summary>
    public string? RecommendationId { get; init; }

    /// <summary>The experiment and variant the user is in, when one is live.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ExperimentAssignmentDto? Experiment { get; init; }
}

public sealed record ExperimentAssignmentDto(string Name, string Kind, string Variant);

/// <summary>Why an answer is not the user's live ranking, and how old the list it gives is (null: the popular items).</summary>
public sealed record DegradedDto(string Reason, long? AgeMs);

public sealed record RecentItemDto(string ItemId, string Type, long Ts);

public sealed record PartitionOffsetDto(int Partition, long Offset);

public sealed record SessionDto(
    string UserId,
    long EventCount,
    IReadOnlyDictionary<string, long> Counts,
    long? FirstEventAt,
    long? LastEventAt,
    IReadOnlyList<RecentItemDto> RecentItems,
    string? ModelVersion,
    long ModelSteps,
    IReadOnlyList<PartitionOffsetDto> AppliedOffsets,
    IReadOnlyList<PartitionOffsetDto> DurableOffsets);

public sealed record AcceptedDto(int Accepted);

public sealed record ErrorDto(string Error);

public sealed record NodeShardsDto(string Node, IReadOnlyList<int> Partitions, IReadOnlyList<int> Shards, int LiveUsers);

public sealed record HealthDto(string Status, IReadOnlyDictionary<string, string> Checks);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RecommendationsDto))]
[JsonSerializable(typeof(SessionDto))]
[JsonSerializable(typeof(AcceptedDto))]
[JsonSerializable(typeof(ErrorDto))]
[JsonSerializable(typeof(HealthDto))]
[JsonSerializable(typeof(NodeShardsDto))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
