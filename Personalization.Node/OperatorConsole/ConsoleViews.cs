using System.Globalization;
using Personalization.Node.Http;
using Personalization.Node.Http.Admin;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Personalization.Node.OperatorConsole;

/// <summary>How each answer looks in a terminal: tables for lists, a line for facts. Values are data, never markup.</summary>
public static class ConsoleViews
{
    public static void Cluster(IAnsiConsole console, ClusterStateDto state)
    {
        var table = NewTable("#", "address", "status", "roles", "reachable", "");
        foreach (var m in state.Members)
        {
            var notes = string.Join(", ", new[] { m.IsLeader ? "leader" : null, m.IsSelf ? "this node" : null }.OfType<string>());
            table.AddRow(Cells(m.UpOrder?.ToString(CultureInfo.InvariantCulture) ?? "-", m.Address, m.Status, string.Join(",", m.Roles), m.Reachable ? "yes" : "NO", notes));
        }

        console.Write(table);
        console.WriteLine($"leader: {state.Leader ?? "(none)"}; this node: {state.Self}; members: {state.Members.Count}, unreachable: {state.Unreachable.Count}");
        foreach (var address in state.Unreachable) console.WriteLine($"unreachable: {address}");
    }

    public static void Message(IAnsiConsole console, MessageDto message) => console.WriteLine(message.Message);

    public static void Regions(IAnsiConsole console, ShardingRegionsDto regions)
    {
        var table = NewTable("type name");
        foreach (var name in regions.TypeNames) table.AddRow(Cells(name));
        console.Write(table);
    }

    public static void RegionStats(IAnsiConsole console, ClusterShardingStatsDto stats)
    {
        var table = NewTable("region", "shards", "entities", "shard:entities");
        foreach (var region in stats.Regions)
        {
            table.AddRow(Cells(
                region.Address,
                region.Shards.Count.ToString(CultureInfo.InvariantCulture),
                region.Entities.ToString(CultureInfo.InvariantCulture),
                string.Join(" ", region.Shards.Select(s => $"{s.ShardId}:{s.Entities}"))));
        }

        console.Write(table);
        console.WriteLine($"{stats.TypeName}: {stats.Regions.Count} regions, {stats.Regions.Sum(r => r.Shards.Count)} shards, {stats.Regions.Sum(r => r.Entities)} entities");
        if (stats.FailedShards.Count > 0) console.WriteLine($"shards that did not answer: {string.Join(" ", stats.FailedShards)}");
    }

    public static void ShardStats(IAnsiConsole console, ShardRegionStateDto state)
    {
        var table = NewTable("shard", "entities");
        foreach (var shard in state.Shards) table.AddRow(Cells(shard.ShardId, shard.Entities.ToString(CultureInfo.InvariantCulture)));
        console.Write(table);
        console.WriteLine($"{state.TypeName} on {state.Node}: {state.Shards.Count} shards, {state.Entities} entities");
        if (state.FailedShards.Count > 0) console.WriteLine($"shards that did not answer: {string.Join(" ", state.FailedShards)}");
    }

    public static void Model(IAnsiConsole console, ModelStatusDto model)
    {
        var table = NewTable("model", "version", "D", "items", "loaded", "loads", "folder");
        table.AddRow(Cells(
            model.Current.Name, model.Current.Version,
            model.Current.StateSize.ToString(CultureInfo.InvariantCulture), model.Current.Items.ToString(CultureInfo.InvariantCulture),
            model.LoadedAt.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture), model.Loads.ToString(CultureInfo.InvariantCulture), model.Path));
        console.Write(table);
        if (model.Variants.Count == 0)
        {
            console.WriteLine("A/B: no experiment (every user gets the current model)");
            return;
        }

        var variants = NewTable("variant", "weight", "share", "model");
        foreach (var v in model.Variants)
        {
            variants.AddRow(Cells(
                v.Name, v.Weight.ToString("0.###", CultureInfo.InvariantCulture), v.Share.ToString("P1", CultureInfo.InvariantCulture),
                v.Model is null ? "(follows the current model)" : $"{v.Model.Name} {v.Model.Version}"));
        }

        console.Write(variants);
    }

    public static void Ingest(IAnsiConsole console, IngestStatusDto ingest)
    {
        console.WriteLine($"ingest: {ingest.Detail} (topic {ingest.Topic}, group {ingest.Group})");
        var table = NewTable("partition", "acknowledged up to", "committed");
        foreach (var p in ingest.Partitions)
            table.AddRow(Cells(p.Partition.ToString(CultureInfo.InvariantCulture), Offset(p.Committable), Offset(p.Committed)));
        console.Write(table);
        console.WriteLine($"in flight: {ingest.InFlight}, buffered: {ingest.Buffered}, paused partitions: {ingest.PausedPartitions}");
        console.WriteLine($"events applied: {ingest.EventsApplied}, durable: {ingest.EventsDurable}, duplicates skipped: {ingest.DuplicatesSkipped}, remote deliveries: {ingest.RemoteDeliveries}");
    }

    public static void Session(IAnsiConsole console, SessionDto session)
    {
        console.WriteLine($"user {session.UserId}: {session.EventCount} events ({string.Join(", ", session.Counts.Select(c => $"{c.Key} {c.Value}"))})");
        console.WriteLine($"first event: {Time(session.FirstEventAt)}, last event: {Time(session.LastEventAt)}; model {session.ModelVersion ?? "-"}, {session.ModelSteps} steps");
        console.WriteLine($"applied offsets: {Offsets(session.AppliedOffsets)}; durable: {Offsets(session.DurableOffsets)}");
        var table = NewTable("recent item", "type", "time");
        foreach (var r in session.RecentItems) table.AddRow(Cells(r.ItemId, r.Type, Time(r.Ts)));
        console.Write(table);
    }

    public static void Recommendations(IAnsiConsole console, RecommendationsDto r)
    {
        console.WriteLine($"user {r.UserId}: model {r.Model.Name} {r.Model.Version}, {r.EventsReflected} events reflected{(r.ColdStart ? ", cold start (popular items)" : "")}");
        var table = NewTable("#", "item", "score");
        var rank = 0;
        foreach (var item in r.Items)
            table.AddRow(Cells((++rank).ToString(CultureInfo.InvariantCulture), item.ItemId, item.Score.ToString("0.0000", CultureInfo.InvariantCulture)));
        console.Write(table);
    }

    public static void Help(IAnsiConsole console)
    {
        var table = NewTable("command", "what it does");
        foreach (var spec in ConsoleCommandParser.Catalog) table.AddRow(Cells(spec.Usage, spec.Description));
        console.Write(table);
    }

    public static void Error(IAnsiConsole console, string message) =>
        console.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");

    private static Table NewTable(params string[] headers)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers) table.AddColumn(new TableColumn(new Text(header)));
        return table;
    }

    private static IEnumerable<IRenderable> Cells(params string[] cells) => cells.Select(c => new Text(c));

    private static string Offset(long offset) => offset < 0 ? "-" : offset.ToString(CultureInfo.InvariantCulture);

    private static string Offsets(IReadOnlyList<PartitionOffsetDto> offsets) =>
        offsets.Count == 0 ? "-" : string.Join(" ", offsets.Select(o => $"p{o.Partition}:{o.Offset}"));

    private static string Time(long? epochMs) =>
        epochMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) : "-";
}
