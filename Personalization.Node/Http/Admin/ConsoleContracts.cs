using System.Text.Json.Serialization;

namespace Personalization.Node.Http.Admin;

// Bodies of the admin endpoints the interactive console added (user inspect, cluster tail, dlq, the dashboard's data).
// A file and a JSON context of their own, beside AdminContracts.cs, so the two can change independently.

/// <summary>Acknowledgements of one partition that wait for the user's next durable checkpoint.</summary>
public sealed record PendingAcksDto(int Partition, int Count, long FirstOffset, long LastOffset);

/// <summary>
/// <c>user inspect</c>: the user as its actor sees it, and where it lives. <see cref="Node"/> is the member hosting
/// the actor, <see cref="Shard"/> its shard (= its Kafka partition), <see cref="AnsweredBy"/> the node that took the
/// HTTP request. <see cref="TopKSource"/>: <c>cached</c> (the ranking the actor holds for its current state),
/// <c>ranked</c> (none was cached: asked as a recommendation query), <c>cold-start</c> (no state: popular items).
/// <see cref="Companions"/>: the companion model states the session keeps (null from a node that predates them).
/// </summary>
public sealed record UserInspectionDto(
    string UserId,
    string Node,
    string Shard,
    string AnsweredBy,
    SessionDto Session,
    string? ModelName,
    int StateSize,
    double StateNorm,
    IReadOnlyList<PendingAcksDto> PendingAcks,
    int EventsWaiting,
    bool StepInFlight,
    int CheckpointsInFlight,
    int EventsSinceCheckpoint,
    string TopKSource,
    IReadOnlyList<RecommendedItemDto> TopK,
    IReadOnlyList<CompanionStateDto>? Companions = null);

/// <summary>A companion model state of a user (docs/DESIGN.md, "The user session"): its model, steps, the user's events it reflects, still being built.</summary>
public sealed record CompanionStateDto(string Model, string Version, long Steps, long EventsReflected, bool Building);

/// <summary>
/// One membership change as <c>GET /admin/cluster/events</c> streams it (server-sent events, one <c>data:</c> line
/// each). <see cref="Kind"/>: member-joined, member-up, member-weakly-up, member-left, member-exited, member-downed,
/// member-removed, unreachable, reachable, leader-changed. The stream starts with the current state as events.
/// </summary>
public sealed record ClusterEventDto(DateTimeOffset Time, string Kind, string? Address, string? Status, IReadOnlyList<string> Roles, string? Detail);

/// <summary>A record of the dead-letter topic with what its headers say (README, "HTTP API").</summary>
/// <param name="Value">The value as UTF-8 text (invalid bytes replaced), null for a tombstone; <see cref="ValueBase64"/> has the exact bytes when it is not valid UTF-8.</param>
/// <param name="Replayed">The events-topic position a replay produced it at, when it was replayed.</param>
public sealed record DlqRecordDto(
    int Partition,
    long Offset,
    DateTimeOffset? Timestamp,
    string? Key,
    string? Value,
    string? ValueBase64,
    string Reason,
    string? SourceTopic,
    int? SourcePartition,
    long? SourceOffset,
    string? DeadLetteredAt,
    DlqReplayMarkDto? Replayed);

/// <summary>Where a replay put a DLQ record in the events topic, when, and whether the value was corrected.</summary>
public sealed record DlqReplayMarkDto(int Partition, long Offset, DateTimeOffset At, bool Corrected, string By);

/// <summary>The low and high watermark of one partition of the dead-letter topic.</summary>
public sealed record DlqPartitionDto(int Partition, long Low, long High);

/// <summary><c>dlq show</c>: the last records of every DLQ partition, oldest first.</summary>
public sealed record DlqPageDto(string Topic, IReadOnlyList<DlqPartitionDto> Partitions, IReadOnlyList<DlqRecordDto> Records);

/// <summary>
/// One DLQ record to replay. <see cref="Value"/>: the corrected event (JSON text), or null to re-inject the original
/// value as it is.
/// </summary>
public sealed record DlqReplayItem(int Partition, long Offset, string? Value = null);

public sealed record DlqReplayRequest(IReadOnlyList<DlqReplayItem> Records);

/// <summary>
/// What became of one record: <see cref="Outcome"/> is <c>replayed</c> (produced now, at <see cref="TargetPartition"/>/
/// <see cref="TargetOffset"/>), <c>already-replayed</c> (an earlier replay produced it there; nothing produced now) or
/// <c>refused</c> (<see cref="Detail"/> says why; nothing produced).
/// </summary>
public sealed record DlqReplayOutcomeDto(int Partition, long Offset, string Outcome, string Detail, int? TargetPartition, long? TargetOffset);

public sealed record DlqReplayResultDto(string Topic, IReadOnlyList<DlqReplayOutcomeDto> Records);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(UserInspectionDto))]
[JsonSerializable(typeof(ClusterEventDto))]
[JsonSerializable(typeof(DlqPageDto))]
[JsonSerializable(typeof(DlqReplayRequest))]
[JsonSerializable(typeof(DlqReplayResultDto))]
[JsonSerializable(typeof(DlqReplayMarkDto))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
public sealed partial class ConsoleJsonContext : JsonSerializerContext;
