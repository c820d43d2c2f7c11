using Spectre.Console;

namespace Personalization.Node.OperatorConsole;

/// <summary>
/// Runs commands against one or more nodes and prints the answers. Several nodes (<c>--node a --node b</c>) get the
/// command in turn, each under a header: that is how <c>model load</c> reaches every node that should swap.
/// </summary>
public sealed class ConsoleSession(IAnsiConsole console, IReadOnlyList<AdminClient> nodes)
{
    public IReadOnlyList<AdminClient> Nodes => nodes;

    /// <summary>Runs <paramref name="command"/>; returns the worst exit code over the nodes (<see cref="ConsoleExitCodes"/>).</summary>
    public async Task<int> ExecuteAsync(ConsoleCommand command, CancellationToken ct)
    {
        if (command is HelpCommand)
        {
            ConsoleViews.Help(console);
            return ConsoleExitCodes.Ok;
        }

        if (command is ExitCommand) return ConsoleExitCodes.Ok;

        var exitCode = ConsoleExitCodes.Ok;
        foreach (var node in nodes)
        {
            if (nodes.Count > 1) console.Write(new Rule(Markup.Escape(node.Node.ToString())).LeftJustified());
            try
            {
                await RunAsync(node, command, ct);
            }
            catch (ConsoleFailure failure)
            {
                ConsoleViews.Error(console, failure.Message);
                exitCode = Math.Max(exitCode, failure.ExitCode);
            }
        }

        return exitCode;
    }

    private async Task RunAsync(AdminClient node, ConsoleCommand command, CancellationToken ct)
    {
        switch (command)
        {
            case ClusterShowCommand:
                ConsoleViews.Cluster(console, await node.ClusterAsync(ct));
                break;
            case ClusterLeaveCommand c:
                ConsoleViews.Message(console, await node.ClusterActionAsync("leave", c.Address, ct));
                break;
            case ClusterDownCommand c:
                ConsoleViews.Message(console, await node.ClusterActionAsync("down", c.Address, ct));
                break;
            case ClusterJoinCommand c:
                ConsoleViews.Message(console, await node.ClusterActionAsync("join", c.Address, ct));
                break;
            case ShardingRegionsCommand:
                ConsoleViews.Regions(console, await node.RegionsAsync(ct));
                break;
            case ShardingRegionStatsCommand c:
                ConsoleViews.RegionStats(console, await node.RegionStatsAsync(c.TypeName, ct));
                break;
            case ShardingShardStatsCommand c:
                ConsoleViews.ShardStats(console, await node.ShardStatsAsync(c.TypeName, ct));
                break;
            case ModelShowCommand:
                ConsoleViews.Model(console, await node.ModelAsync(ct));
                break;
            case ModelLoadCommand c:
                var loaded = await node.LoadModelAsync(c.Folder, ct);
                console.WriteLine($"loaded {loaded.Current.Name} {loaded.Current.Version} from {loaded.Path}");
                ConsoleViews.Model(console, loaded);
                break;
            case IngestStatusCommand:
                ConsoleViews.Ingest(console, await node.IngestAsync(ct));
                break;
            case UserShowCommand c:
                ConsoleViews.Session(console, await node.SessionAsync(c.UserId, ct));
                break;
            case UserRecommendCommand c:
                ConsoleViews.Recommendations(console, await node.RecommendationsAsync(c.UserId, c.K, ct));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(command), command, "a command the session does not know");
        }
    }
}
