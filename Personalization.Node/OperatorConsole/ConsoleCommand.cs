namespace Personalization.Node.OperatorConsole;

/// <summary>One console command, parsed and validated (<see cref="ConsoleCommandParser"/>); what runs it is <see cref="ConsoleSession"/>.</summary>
public abstract record ConsoleCommand;

public sealed record ClusterShowCommand : ConsoleCommand;

public sealed record ClusterLeaveCommand(string Address) : ConsoleCommand;

public sealed record ClusterDownCommand(string Address) : ConsoleCommand;

public sealed record ClusterJoinCommand(string Address) : ConsoleCommand;

public sealed record ShardingRegionsCommand : ConsoleCommand;

public sealed record ShardingRegionStatsCommand(string TypeName) : ConsoleCommand;

public sealed record ShardingShardStatsCommand(string TypeName) : ConsoleCommand;

public sealed record ModelShowCommand : ConsoleCommand;

/// <summary><paramref name="Folder"/> is a path on the node (its file system, resolved like --model).</summary>
public sealed record ModelLoadCommand(string Folder) : ConsoleCommand;

public sealed record IngestStatusCommand : ConsoleCommand;

public sealed record UserShowCommand(string UserId) : ConsoleCommand;

public sealed record UserRecommendCommand(string UserId, int K) : ConsoleCommand;

/// <summary>Membership events as they happen, until Ctrl-C or q (or the node ends the stream).</summary>
public sealed record ClusterTailCommand : ConsoleCommand;

/// <summary>The user as its actor sees it, and where it lives (<c>GET /admin/users/{id}/inspect</c>).</summary>
public sealed record UserInspectCommand(string UserId, int K) : ConsoleCommand;

/// <summary>The last <paramref name="PerPartition"/> records of every partition of the dead-letter topic.</summary>
public sealed record DlqShowCommand(int PerPartition) : ConsoleCommand;

/// <summary>Writes the last records as JSON lines to a local file, the format <c>dlq replay --file</c> reads back once corrected.</summary>
public sealed record DlqExportCommand(string File, int PerPartition) : ConsoleCommand;

/// <summary>
/// Re-injects DLQ records into the events topic: <paramref name="Offsets"/> with their original values, or the
/// records of a local <paramref name="File"/> of JSON lines (<c>{"partition","offset","value"}</c>, value corrected).
/// </summary>
public sealed record DlqReplayCommand(IReadOnlyList<DlqOffset> Offsets, string? File) : ConsoleCommand
{
    public bool Equals(DlqReplayCommand? other) => other is not null && File == other.File && Offsets.SequenceEqual(other.Offsets);

    public override int GetHashCode() => HashCode.Combine(File, Offsets.Count);
}

/// <summary>A record of the dead-letter topic: partition and offset, written <c>p:offset</c>.</summary>
public readonly record struct DlqOffset(int Partition, long Offset)
{
    public override string ToString() => $"{Partition}:{Offset}";
}

/// <summary>Withdraws an item from every answer of every node (the availability topic), with an optional reason.</summary>
public sealed record ItemWithdrawCommand(string ItemId, string? Reason) : ConsoleCommand;

/// <summary>Makes a withdrawn item available again on every node.</summary>
public sealed record ItemRestoreCommand(string ItemId) : ConsoleCommand;

/// <summary>The items withdrawn as each node's snapshot has them (at most <paramref name="Limit"/> listed).</summary>
public sealed record ItemWithdrawnCommand(int Limit) : ConsoleCommand;

/// <summary>experiment list | show | create | start | stop | set | report (README, "Experiments").</summary>
public sealed record ExperimentListCommand : ConsoleCommand;

public sealed record ExperimentShowCommand(string Name) : ConsoleCommand;

/// <summary>Creates the experiment a local JSON file describes (the body of POST /admin/experiments).</summary>
public sealed record ExperimentCreateCommand(string File) : ConsoleCommand;

public sealed record ExperimentStartCommand(string Name) : ConsoleCommand;

public sealed record ExperimentStopCommand(string Name) : ConsoleCommand;

/// <summary>New weights by variant and/or a new end time.</summary>
public sealed record ExperimentSetCommand(string Name, IReadOnlyDictionary<string, double> Weights, DateTimeOffset? EndAt) : ConsoleCommand;

public sealed record ExperimentReportCommand(string Name) : ConsoleCommand;

public sealed record HelpCommand : ConsoleCommand;

/// <summary>Leaves the interactive prompt (a no-op for a one-shot command).</summary>
public sealed record ExitCommand : ConsoleCommand;
