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

public sealed record HelpCommand : ConsoleCommand;

/// <summary>Leaves the interactive prompt (a no-op for a one-shot command).</summary>
public sealed record ExitCommand : ConsoleCommand;
