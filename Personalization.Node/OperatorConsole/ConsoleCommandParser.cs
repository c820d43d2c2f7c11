using System.Globalization;
using Personalization.Node.Http;
using Personalization.Node.Http.Admin;

namespace Personalization.Node.OperatorConsole;

/// <summary>A parse: either a command or a sentence saying what is wrong with the words.</summary>
public sealed record ParsedCommand(ConsoleCommand? Command, string? Error)
{
    public static ParsedCommand Ok(ConsoleCommand command) => new(command, null);

    public static ParsedCommand Fail(string error) => new(null, error);
}

/// <summary>What an argument is, for tab completion.</summary>
public enum ArgumentKind
{
    None,
    MemberAddress,
    ShardType,
    NodeFolder,
    LocalFile,
    UserId,
    DlqReplay,
    WithdrawnItem,
}

/// <summary>A command of the catalog: its words, its arguments as shown in help, what it does, how to build it.</summary>
public sealed record CommandSpec(string Name, string Arguments, string Description, int MinArguments, int MaxArguments, Func<IReadOnlyList<string>, ParsedCommand> Build)
{
    public string[] Words { get; } = Name.Split(' ');

    /// <summary>What each argument is (the last one stands for any further ones), for completion.</summary>
    public ArgumentKind[] Completes { get; init; } = [];

    /// <summary>Changes the node or the cluster: audited by the node (who, when).</summary>
    public bool Destructive { get; init; }

    public ArgumentKind CompletionOf(int argumentIndex) =>
        Completes.Length == 0 ? ArgumentKind.None : Completes[Math.Min(argumentIndex, Completes.Length - 1)];

    public string Usage => Arguments.Length == 0 ? Name : $"{Name} {Arguments}";
}

/// <summary>
/// Words → command, pure (no terminal, no network), with pbm's vocabulary (<c>cluster show</c>,
/// <c>cluster-sharding region-stats user</c>, …) plus the engine's commands. Command words are case-insensitive;
/// arguments are kept as typed.
/// </summary>
public static class ConsoleCommandParser
{
    public const string DefaultShardType = "user";
    public const int DefaultK = 10;
    public const int DefaultDlqRecords = 20;
    public const int DefaultWithdrawnItems = 100;

    public static IReadOnlyList<CommandSpec> Catalog { get; } =
    [
        new("cluster show", "", "members (oldest first), status, roles, unreachable, leader, this node", 0, 0, _ => ParsedCommand.Ok(new ClusterShowCommand())),
        new("cluster leave", "<address>", "the member leaves gracefully (hands off its shards, then stops)", 1, 1, a => Address(a[0], x => new ClusterLeaveCommand(x)))
            { Completes = [ArgumentKind.MemberAddress], Destructive = true },
        new("cluster down", "<address>", "marks an unreachable member down (no hand-off)", 1, 1, a => Address(a[0], x => new ClusterDownCommand(x)))
            { Completes = [ArgumentKind.MemberAddress], Destructive = true },
        new("cluster join", "<address>", "this node joins the cluster of <address>", 1, 1, a => Address(a[0], x => new ClusterJoinCommand(x)))
            { Completes = [ArgumentKind.MemberAddress], Destructive = true },
        new("cluster tail", "", "membership events as they happen (the current state first), until Ctrl-C or q", 0, 0, _ => ParsedCommand.Ok(new ClusterTailCommand())),
        new("cluster-sharding regions", "", "shard region type names", 0, 0, _ => ParsedCommand.Ok(new ShardingRegionsCommand())),
        new("cluster-sharding region-stats", "[type]", "shards and entities per region across the cluster (type: user)", 0, 1, a => ParsedCommand.Ok(new ShardingRegionStatsCommand(TypeName(a))))
            { Completes = [ArgumentKind.ShardType] },
        new("cluster-sharding shard-stats", "[type]", "shards and entities hosted on this node (type: user)", 0, 1, a => ParsedCommand.Ok(new ShardingShardStatsCommand(TypeName(a))))
            { Completes = [ArgumentKind.ShardType] },
        new("model show", "", "current model (name, version, D, items), where it came from, A/B variants", 0, 0, _ => ParsedCommand.Ok(new ModelShowCommand())),
        new("model load", "<folder>", "validates a model folder on the node and hot-swaps it; a bad one is refused", 1, 1, a => ParsedCommand.Ok(new ModelLoadCommand(a[0])))
            { Completes = [ArgumentKind.NodeFolder], Destructive = true },
        new("ingest status", "", "partitions consumed here: offsets, lag, rates, DLQ and data quality (where the node reports them), in flight", 0, 0, _ => ParsedCommand.Ok(new IngestStatusCommand())),
        new("user show", "<id>", "the user's live session", 1, 1, a => User(a[0], id => ParsedCommand.Ok(new UserShowCommand(id)))) { Completes = [ArgumentKind.UserId] },
        new("user recommend", "<id> [k]", $"the user's top k items (k: {DefaultK}, at most {UserEndpoints.MaxK})", 1, 2, a => User(a[0], id => Recommend(id, a)))
            { Completes = [ArgumentKind.UserId, ArgumentKind.None] },
        new("user inspect", "<id> [k]", "session, offsets, model version and state norm, top k, pending acks, the node and shard that host it", 1, 2,
            a => User(a[0], id => Inspect(id, a))) { Completes = [ArgumentKind.UserId, ArgumentKind.None] },
        new("dlq show", "[n]", $"the last n records of each dead-letter partition with their reasons (n: {DefaultDlqRecords})", 0, 1, a => DlqCount(a, 0, n => new DlqShowCommand(n))),
        new("dlq export", "<file> [n]", "writes the last n records of each partition as JSON lines to a local file, to correct and replay", 1, 2,
            a => DlqCount(a, 1, n => new DlqExportCommand(a[0], n))) { Completes = [ArgumentKind.LocalFile, ArgumentKind.None] },
        new("dlq replay", "<p:offset>... | --file <file>", "re-injects records into the events topic (original values, or the corrected values of a file); each DLQ offset at most once", 1, 1000,
            Replay) { Completes = [ArgumentKind.DlqReplay], Destructive = true },
        new("item withdraw", "<id> [reason…]", "withdraws the item from every answer of every node (the availability topic), e.g. for licensing", 1, 100,
            a => Item(a[0], id => ParsedCommand.Ok(new ItemWithdrawCommand(id, a.Count > 1 ? string.Join(' ', a.Skip(1)) : null)))) { Destructive = true },
        new("item restore", "<id>", "makes a withdrawn item available again on every node", 1, 1, a => Item(a[0], id => ParsedCommand.Ok(new ItemRestoreCommand(id))))
            { Completes = [ArgumentKind.WithdrawnItem], Destructive = true },
        new("item withdrawn", "[n]", $"the items withdrawn, as each node has them (n: {DefaultWithdrawnItems} listed)", 0, 1, WithdrawnItems),
        new("experiment list", "", "every experiment: kind, status, variants and their shares, whether this node serves it", 0, 0, _ => ParsedCommand.Ok(new ExperimentListCommand())),
        new("experiment show", "<name>", "one experiment", 1, 1, a => ParsedCommand.Ok(new ExperimentShowCommand(a[0]))),
        new("experiment create", "<file>", "creates the experiment a local JSON file describes (a draft: start it next)", 1, 1, a => ParsedCommand.Ok(new ExperimentCreateCommand(a[0])))
            { Completes = [ArgumentKind.LocalFile], Destructive = true },
        new("experiment start", "<name>", "starts assigning users (one experiment runs at a time)", 1, 1, a => ParsedCommand.Ok(new ExperimentStartCommand(a[0]))) { Destructive = true },
        new("experiment stop", "<name>", "stops it for good: every user gets the current model again", 1, 1, a => ParsedCommand.Ok(new ExperimentStopCommand(a[0]))) { Destructive = true },
        new("experiment set", "<name> <variant>=<weight>... [--end <time>]", "new weights (only the users that must move, move) and/or end time (ISO 8601)", 2, 20,
            ExperimentSet) { Destructive = true },
        new("experiment report", "<name>", "online HR@K, NDCG, MRR per variant with 95 % intervals and the tests between them, over the whole cluster", 1, 1,
            a => ParsedCommand.Ok(new ExperimentReportCommand(a[0]))),
        new("help", "", "lists the commands", 0, 0, _ => ParsedCommand.Ok(new HelpCommand())),
        new("exit", "", "leaves the interactive console (also: quit)", 0, 0, _ => ParsedCommand.Ok(new ExitCommand())),
    ];

    private static ParsedCommand ExperimentSet(IReadOnlyList<string> a)
    {
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        DateTimeOffset? end = null;
        for (var i = 1; i < a.Count; i++)
        {
            if (a[i] == "--end")
            {
                if (i + 1 >= a.Count || !DateTimeOffset.TryParse(a[i + 1], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed))
                    return ParsedCommand.Fail("--end needs a time such as 2026-12-31T00:00:00Z");
                end = parsed;
                i++;
                continue;
            }

            var eq = a[i].IndexOf('=');
            if (eq <= 0 || !double.TryParse(a[i][(eq + 1)..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var weight))
                return ParsedCommand.Fail($"\"{a[i]}\" is not <variant>=<weight> (e.g. candidate=20)");
            weights[a[i][..eq]] = weight;
        }

        return ParsedCommand.Ok(new ExperimentSetCommand(a[0], weights, end));
    }

    public static ParsedCommand Parse(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        if (words.Count == 0 || words.All(string.IsNullOrWhiteSpace)) return ParsedCommand.Fail("no command; type help for the list");
        if (words.Count == 1 && words[0].Equals("quit", StringComparison.OrdinalIgnoreCase)) return ParsedCommand.Ok(new ExitCommand());
        if (words.Count == 1 && words[0] is "?" or "-h" or "--help") return ParsedCommand.Ok(new HelpCommand());

        // Longest match first: "cluster show" is two words, "help" one.
        var spec = Catalog
            .Where(s => s.Words.Length <= words.Count && s.Words.Select((w, i) => w.Equals(words[i], StringComparison.OrdinalIgnoreCase)).All(m => m))
            .MaxBy(s => s.Words.Length);
        if (spec is null) return Unknown(words);

        var arguments = words.Skip(spec.Words.Length).ToArray();
        if (arguments.Length < spec.MinArguments || arguments.Length > spec.MaxArguments)
        {
            var problem = arguments.Length < spec.MinArguments ? "missing argument" : $"unexpected \"{arguments[spec.MaxArguments]}\"";
            return ParsedCommand.Fail($"{spec.Name}: {problem}; usage: {spec.Usage}");
        }

        var parsed = spec.Build(arguments);
        return parsed.Error is null ? parsed : ParsedCommand.Fail($"{spec.Name}: {parsed.Error}");
    }

    private static ParsedCommand Unknown(IReadOnlyList<string> words)
    {
        var group = Catalog.Where(s => s.Words.Length > 1 && s.Words[0].Equals(words[0], StringComparison.OrdinalIgnoreCase)).ToArray();
        if (group.Length == 0) return ParsedCommand.Fail($"unknown command \"{words[0]}\"; type help for the list");
        var what = words.Count > 1 ? $"unknown subcommand \"{words[1]}\"" : "a subcommand is missing";
        return ParsedCommand.Fail($"{group[0].Words[0]}: {what}; one of: {string.Join(", ", group.Select(s => s.Usage))}");
    }

    private static ParsedCommand Address(string text, Func<string, ConsoleCommand> build) =>
        ClusterAddresses.TryParse(text, out var address, out var problem) ? ParsedCommand.Ok(build(address!.ToString())) : ParsedCommand.Fail(problem);

    private static string TypeName(IReadOnlyList<string> arguments) => arguments.Count == 0 ? DefaultShardType : arguments[0];

    private static ParsedCommand User(string id, Func<string, ParsedCommand> build) =>
        id.Length > Personalization.Actors.Events.ListeningEventJson.MaxIdLength
            ? ParsedCommand.Fail($"the user id is longer than {Personalization.Actors.Events.ListeningEventJson.MaxIdLength} characters")
            : build(id);

    private static ParsedCommand Item(string id, Func<string, ParsedCommand> build) =>
        Personalization.Actors.Events.EventIds.Problem(id, "the item id") is { } problem ? ParsedCommand.Fail(problem) : build(id);

    private static ParsedCommand WithdrawnItems(IReadOnlyList<string> arguments)
    {
        if (arguments.Count == 0) return ParsedCommand.Ok(new ItemWithdrawnCommand(DefaultWithdrawnItems));
        return int.TryParse(arguments[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= AdminItemEndpoints.MaxLimit
            ? ParsedCommand.Ok(new ItemWithdrawnCommand(n))
            : ParsedCommand.Fail($"n must be an integer from 1 to {AdminItemEndpoints.MaxLimit}, got \"{arguments[0]}\"");
    }

    private static ParsedCommand Inspect(string id, IReadOnlyList<string> arguments)
    {
        if (arguments.Count == 1) return ParsedCommand.Ok(new UserInspectCommand(id, DefaultK));
        return int.TryParse(arguments[1], NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k is >= 1 and <= UserEndpoints.MaxK
            ? ParsedCommand.Ok(new UserInspectCommand(id, k))
            : ParsedCommand.Fail($"k must be an integer from 1 to {UserEndpoints.MaxK}, got \"{arguments[1]}\"");
    }

    private static ParsedCommand DlqCount(IReadOnlyList<string> arguments, int index, Func<int, ConsoleCommand> build)
    {
        if (arguments.Count <= index) return ParsedCommand.Ok(build(DefaultDlqRecords));
        return int.TryParse(arguments[index], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 10_000
            ? ParsedCommand.Ok(build(n))
            : ParsedCommand.Fail($"n must be an integer from 1 to 10000, got \"{arguments[index]}\"");
    }

    private static ParsedCommand Replay(IReadOnlyList<string> arguments)
    {
        if (arguments[0] == "--file")
        {
            return arguments.Count == 2
                ? ParsedCommand.Ok(new DlqReplayCommand([], arguments[1]))
                : ParsedCommand.Fail(arguments.Count < 2 ? "--file needs a file of JSON lines" : $"unexpected \"{arguments[2]}\" after the file");
        }

        var offsets = new List<DlqOffset>();
        foreach (var word in arguments)
        {
            var parts = word.Split(':');
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var p) ||
                !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var o))
                return ParsedCommand.Fail($"\"{word}\" is not a DLQ record; write partition:offset (dlq show lists them), or --file <file>");
            offsets.Add(new DlqOffset(p, o));
        }

        return ParsedCommand.Ok(new DlqReplayCommand(offsets, null));
    }

    private static ParsedCommand Recommend(string id, IReadOnlyList<string> arguments)
    {
        if (arguments.Count == 1) return ParsedCommand.Ok(new UserRecommendCommand(id, DefaultK));
        return int.TryParse(arguments[1], NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k is >= 1 and <= UserEndpoints.MaxK
            ? ParsedCommand.Ok(new UserRecommendCommand(id, k))
            : ParsedCommand.Fail($"k must be an integer from 1 to {UserEndpoints.MaxK}, got \"{arguments[1]}\"");
    }
}
