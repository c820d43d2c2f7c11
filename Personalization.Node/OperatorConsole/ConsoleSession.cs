using System.Text.Json;
using Personalization.Node.Http.Admin;
using Spectre.Console;

namespace Personalization.Node.OperatorConsole;

/// <summary>
/// Runs commands against one or more nodes and prints the answers. Several nodes (<c>--node a --node b</c>) get the
/// command in turn, each under a header: that is how <c>model load</c> reaches every node that should swap.
/// </summary>
public sealed class ConsoleSession(IAnsiConsole console, IReadOnlyList<AdminClient> nodes)
{
    private readonly Lock _output = new();

    public IReadOnlyList<AdminClient> Nodes => nodes;

    /// <summary>The keys that stop a long-running view besides Ctrl-C's cancellation (null: none, e.g. input from a pipe).</summary>
    public IStopKeys? StopKeys { get; set; }

    /// <summary>Runs <paramref name="command"/>; returns the worst exit code over the nodes (<see cref="ConsoleExitCodes"/>).</summary>
    public async Task<int> ExecuteAsync(ConsoleCommand command, CancellationToken ct)
    {
        if (command is HelpCommand)
        {
            ConsoleViews.Help(console);
            return ConsoleExitCodes.Ok;
        }

        if (command is ExitCommand) return ConsoleExitCodes.Ok;
        if (command is ClusterTailCommand) return await TailAsync(ct);

        // The dead-letter topic is the cluster's: one node is asked (a replay through each would only repeat "already replayed").
        // So is the availability topic: one node writes a withdrawal, every node applies it.
        var targets = command is DlqExportCommand or DlqReplayCommand or ItemWithdrawCommand or ItemRestoreCommand ? nodes.Take(1).ToArray() : nodes;
        var exitCode = ConsoleExitCodes.Ok;
        foreach (var node in targets)
        {
            if (targets.Count > 1) console.Write(new Rule(Markup.Escape(node.Node.ToString())).LeftJustified());
            try
            {
                exitCode = Math.Max(exitCode, await RunAsync(node, command, ct));
            }
            catch (ConsoleFailure failure)
            {
                ConsoleViews.Error(console, failure.Message);
                exitCode = Math.Max(exitCode, failure.ExitCode);
            }
        }

        return exitCode;
    }

    /// <summary>
    /// <c>cluster tail</c>: every node's event stream at once (lines prefixed by the node when there are several), until
    /// the stop keys, the cancellation (Ctrl-C of a one-shot command) or the end of every stream.
    /// </summary>
    private async Task<int> TailAsync(CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var hint = StopKeys is null ? "Ctrl-C stops" : "Ctrl-C or q stops";
        console.WriteLine($"membership events of {string.Join(", ", nodes.Select(n => n.Node))}, the current state first ({hint})");
        var keys = StopKeys?.WaitAsync(stop.Token).ContinueWith(_ => stop.Cancel(), TaskScheduler.Default);
        var exitCode = ConsoleExitCodes.Ok;
        var tails = nodes.Select(async node =>
        {
            var prefix = nodes.Count > 1 ? node.Node.Authority + " " : "";
            try
            {
                await foreach (var e in node.ClusterEventsAsync(stop.Token))
                    lock (_output) ConsoleViews.ClusterEvent(console, e, prefix);
                if (!stop.IsCancellationRequested)
                    lock (_output) console.WriteLine($"{prefix}the node ended the stream (it is shutting down?)");
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (ConsoleFailure failure)
            {
                lock (_output)
                {
                    ConsoleViews.Error(console, failure.Message);
                    exitCode = Math.Max(exitCode, failure.ExitCode);
                }
            }
        }).ToArray();
        await Task.WhenAll(tails);
        await stop.CancelAsync();
        if (keys is not null) await keys;
        return exitCode;
    }

    private async Task<int> RunAsync(AdminClient node, ConsoleCommand command, CancellationToken ct)
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
                ConsoleViews.Ingest(console, await node.IngestJsonAsync(ct));
                break;
            case UserInspectCommand c:
                ConsoleViews.Inspection(console, await node.InspectAsync(c.UserId, c.K, ct));
                break;
            case DlqShowCommand c:
                ConsoleViews.Dlq(console, await node.DlqAsync(c.PerPartition, ct));
                break;
            case DlqExportCommand c:
            {
                var page = await node.DlqAsync(c.PerPartition, ct);
                var lines = DlqFiles.ExportLines(page);
                await File.WriteAllLinesAsync(c.File, lines, ct);
                console.WriteLine($"wrote {lines.Count} records of {page.Topic} to {c.File}: correct the \"value\" of each, delete the lines not to replay, then: dlq replay --file {c.File}");
                break;
            }

            case DlqReplayCommand c:
            {
                var items = c.File is null ? c.Offsets.Select(o => new DlqReplayItem(o.Partition, o.Offset)).ToArray() : DlqFiles.Read(c.File);
                var result = await node.ReplayAsync(new DlqReplayRequest(items), ct);
                ConsoleViews.Replay(console, result);
                return result.Records.Any(r => r.Outcome == "refused") ? ConsoleExitCodes.Refused : ConsoleExitCodes.Ok;
            }
            case ItemWithdrawCommand c:
                ItemViews.Change(console, await node.WithdrawItemAsync(c.ItemId, c.Reason, ct));
                break;
            case ItemRestoreCommand c:
                ItemViews.Change(console, await node.RestoreItemAsync(c.ItemId, ct));
                break;
            case ItemWithdrawnCommand c:
                ItemViews.Withdrawn(console, await node.WithdrawnItemsAsync(c.Limit, ct));
                break;
            case UserShowCommand c:
                ConsoleViews.Session(console, await node.SessionAsync(c.UserId, ct));
                break;
            case UserRecommendCommand c:
                ConsoleViews.Recommendations(console, await node.RecommendationsAsync(c.UserId, c.K, ct));
                break;
            case ExperimentListCommand:
                ExperimentViews.List(console, await node.ExperimentsAsync(ct));
                break;
            case ExperimentShowCommand c:
                ExperimentViews.Show(console, await node.ExperimentAsync(c.Name, ct));
                break;
            case ExperimentCreateCommand c:
                ExperimentViews.Show(console, await node.CreateExperimentAsync(ExperimentViews.ReadDefinition(c.File), ct));
                break;
            case ExperimentStartCommand c:
                ExperimentViews.Show(console, await node.ExperimentActionAsync(c.Name, "start", ct));
                break;
            case ExperimentStopCommand c:
                ExperimentViews.Show(console, await node.ExperimentActionAsync(c.Name, "stop", ct));
                break;
            case ExperimentSetCommand c:
                ExperimentViews.Show(console, await node.SetExperimentAsync(c.Name, new SetExperimentRequest(c.Weights.Count == 0 ? null : c.Weights, c.EndAt), ct));
                break;
            case ExperimentReportCommand c:
                ExperimentViews.Report(console, await node.ExperimentReportAsync(c.Name, ct));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(command), command, "a command the session does not know");
        }

        return ConsoleExitCodes.Ok;
    }
}
