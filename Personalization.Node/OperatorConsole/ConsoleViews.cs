using System.Globalization;
using System.Text.Json;
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

    /// <summary>
    /// <c>ingest status</c> from the node's JSON: the fields every node has, and the lag, rate, DLQ and data-quality
    /// columns of a node that reports them (PartitionPositionDto's highWatermark, lag, unacknowledgedLag,
    /// recordsPerSecond, deadLetteredPerSecond, rateDropped, quality; -1 = not known yet).
    /// </summary>
    public static void Ingest(IAnsiConsole console, JsonElement json)
    {
        var ingest = json.Deserialize(AdminJsonContext.Default.IngestStatusDto)
                     ?? throw new ConsoleFailure(ConsoleExitCodes.Refused, "the node answered /admin/ingest with null");
        console.WriteLine($"ingest: {ingest.Detail} (topic {ingest.Topic}, group {ingest.Group})");
        var partitions = json.TryGetProperty("partitions", out var p) && p.ValueKind == JsonValueKind.Array ? p.EnumerateArray().ToArray() : [];
        var optional = new (string Field, string Header)[]
        {
            ("highWatermark", "end"), ("lag", "lag"), ("unacknowledgedLag", "not durable"), ("recordsPerSecond", "records/s"),
            ("deadLetteredPerSecond", "DLQ/s"),
        };
        var present = optional.Where(o => partitions.Any(x => x.TryGetProperty(o.Field, out _))).ToArray();
        var hasQuality = partitions.Any(x => x.TryGetProperty("quality", out var q) && q.ValueKind == JsonValueKind.Object);
        var hasDrop = partitions.Any(x => x.TryGetProperty("rateDropped", out _));
        var headers = new List<string> { "partition", "acknowledged up to", "committed" };
        headers.AddRange(present.Select(o => o.Header));
        if (hasQuality) headers.Add("DLQ");
        if (hasDrop) headers.Add("rate");
        var table = NewTable([.. headers]);
        foreach (var x in partitions)
        {
            var row = new List<string>
            {
                Field(x, "partition"), Offset(Number(x, "committable")), Offset(Number(x, "committed")),
            };
            row.AddRange(present.Select(o => Field(x, o.Field)));
            if (hasQuality) row.Add(x.TryGetProperty("quality", out var q) && q.ValueKind == JsonValueKind.Object ? Field(q, "deadLettered") : "-");
            if (hasDrop) row.Add(x.TryGetProperty("rateDropped", out var d) && d.ValueKind == JsonValueKind.True ? "DROPPED" : "ok");
            table.AddRow(Cells([.. row]));
        }

        console.Write(table);
        console.WriteLine($"in flight: {ingest.InFlight}, buffered: {ingest.Buffered}, paused partitions: {ingest.PausedPartitions}");
        console.WriteLine($"events applied: {ingest.EventsApplied}, durable: {ingest.EventsDurable}, duplicates skipped: {ingest.DuplicatesSkipped}, remote deliveries: {ingest.RemoteDeliveries}");
        var totals = new List<string>();
        if (json.TryGetProperty("lag", out _)) totals.Add($"lag: {Field(json, "lag")}");
        if (json.TryGetProperty("deadLetteredPerSecond", out _)) totals.Add($"DLQ/s: {Field(json, "deadLetteredPerSecond")}");
        if (totals.Count > 0) console.WriteLine(string.Join(", ", totals));
        if (!hasQuality) return;

        // Data quality: one row per partition, a column per signal the node counts.
        var signals = new (string Field, string Header)[]
        {
            ("schemaViolations", "schema violations"), ("unknownItems", "unknown items"), ("outOfTimeOrder", "out of order"),
            ("futureTimestamps", "future ts"), ("pastTimestamps", "past ts"), ("duplicateOffsets", "duplicate offsets"),
            ("misrouted", "misrouted"), ("rateDrops", "rate drops"),
        };
        var quality = NewTable(["partition", .. signals.Select(s => s.Header)]);
        foreach (var x in partitions)
        {
            if (!x.TryGetProperty("quality", out var q) || q.ValueKind != JsonValueKind.Object) continue;
            quality.AddRow(Cells([Field(x, "partition"), .. signals.Select(s => Field(q, s.Field))]));
        }

        console.Write(quality);
        if (json.TryGetProperty("quality", out var all) && all.ValueKind == JsonValueKind.Object &&
            all.TryGetProperty("deadLetteredByReason", out var reasons) && reasons.ValueKind == JsonValueKind.Array && reasons.GetArrayLength() > 0)
        {
            console.WriteLine("dead-lettered by reason: " + string.Join(", ", reasons.EnumerateArray().Select(r => $"{Field(r, "reason")} {Field(r, "count")}")));
        }
    }

    public static void ClusterEvent(IAnsiConsole console, ClusterEventDto e, string prefix = "")
    {
        var color = e.Kind switch
        {
            "member-up" or "reachable" => "green",
            "unreachable" or "member-downed" => "red",
            "member-removed" or "member-exited" or "member-left" => "yellow",
            _ => "blue",
        };
        var what = e.Address ?? e.Detail ?? "";
        var status = e.Status is null ? "" : $" ({e.Status}{(e.Roles.Count > 0 ? "; " + string.Join(",", e.Roles) : "")})";
        var detail = e.Detail is not null && e.Address is not null ? $" — {e.Detail}" : "";
        console.MarkupLine($"{Markup.Escape(prefix)}{e.Time.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)}  [{color}]{Markup.Escape(e.Kind.PadRight(16))}[/] {Markup.Escape(what + status + detail)}");
    }

    public static void Inspection(IAnsiConsole console, UserInspectionDto i)
    {
        var s = i.Session;
        console.WriteLine($"user {i.UserId} lives on {i.Node}, shard {i.Shard} (Kafka partition {i.Shard}); answered by {i.AnsweredBy}");
        console.WriteLine($"session: {s.EventCount} events ({string.Join(", ", s.Counts.Select(c => $"{c.Key} {c.Value}"))}); first {Time(s.FirstEventAt)}, last {Time(s.LastEventAt)}");
        console.WriteLine(i.StateSize == 0
            ? $"model: no state yet (model {s.ModelVersion ?? "-"}, {s.ModelSteps} steps): a new user's recommendations are the popular items"
            : $"model: {i.ModelName} {s.ModelVersion}, {s.ModelSteps} steps; state {i.StateSize}-d, L2 norm {i.StateNorm.ToString("0.0000", CultureInfo.InvariantCulture)}");
        console.WriteLine($"offsets: applied {Offsets(s.AppliedOffsets)}; durable {Offsets(s.DurableOffsets)}");
        console.WriteLine(i.PendingAcks.Count == 0
            ? "pending acks: none (everything applied is durable and acknowledged)"
            : "pending acks: " + string.Join("; ", i.PendingAcks.Select(a => $"p{a.Partition}: {a.Count} ({a.FirstOffset}..{a.LastOffset})")) + " — waiting for the next checkpoint");
        console.WriteLine($"in flight: model step {(i.StepInFlight ? "running" : "none")}, {i.EventsWaiting} events waiting, {i.CheckpointsInFlight} checkpoints being written, {i.EventsSinceCheckpoint} events since the last checkpoint");
        if (i.Companions is { Count: > 0 } companions)
            console.WriteLine("companions: " + string.Join("; ", companions.Select(c => c.Building
                ? $"{c.Model} {c.Version} (being built from the recent items)"
                : $"{c.Model} {c.Version}, {c.Steps} steps, {c.EventsReflected} events")));
        var source = i.TopKSource switch
        {
            "cached" => "the ranking the actor holds for its current state",
            "ranked" => "ranked now: no ranking was cached",
            "cold-start" => "popular items: the user has no state yet",
            var other => other,
        };
        console.WriteLine($"top {i.TopK.Count} ({source}):");
        var table = NewTable("#", "item", "score");
        var rank = 0;
        foreach (var item in i.TopK)
            table.AddRow(Cells((++rank).ToString(CultureInfo.InvariantCulture), item.ItemId, item.Score.ToString("0.0000", CultureInfo.InvariantCulture)));
        console.Write(table);
        if (s.RecentItems.Count == 0) return;
        var recent = NewTable("recent item", "type", "time");
        foreach (var r in s.RecentItems.TakeLast(5)) recent.AddRow(Cells(r.ItemId, r.Type, Time(r.Ts)));
        console.Write(recent);
    }

    public static void Dlq(IAnsiConsole console, DlqPageDto page)
    {
        var total = page.Partitions.Sum(p => Math.Max(0, p.High - p.Low));
        console.WriteLine($"{page.Topic}: {total} records in {page.Partitions.Count} partitions ({string.Join(" ", page.Partitions.Select(p => $"p{p.Partition}:{p.Low}..{p.High}"))}); showing {page.Records.Count}");
        if (page.Records.Count == 0) return;
        var table = NewTable("record", "dead-lettered", "from", "reason", "key", "value", "replayed");
        foreach (var r in page.Records)
        {
            table.AddRow(Cells(
                $"{r.Partition}:{r.Offset}",
                r.DeadLetteredAt is { } at && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
                    ? t.UtcDateTime.ToString("MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-",
                r.SourcePartition is { } sp ? $"p{sp}/{r.SourceOffset}" : "-",
                Short(r.Reason, 70),
                Short(r.Key ?? "(none)", 16),
                r.Value is null ? "(tombstone)" : Short(Printable(r.Value), 40),
                r.Replayed is { } m ? $"p{m.Partition}/{m.Offset}{(m.Corrected ? " corrected" : "")}" : "no"));
        }

        console.Write(table);
    }

    public static void Replay(IAnsiConsole console, DlqReplayResultDto result)
    {
        var table = NewTable("record", "outcome", "detail");
        foreach (var r in result.Records) table.AddRow(Cells($"{r.Partition}:{r.Offset}", r.Outcome, r.Detail));
        console.Write(table);
        console.WriteLine($"{result.Records.Count(r => r.Outcome == "replayed")} replayed into {result.Topic}, " +
                          $"{result.Records.Count(r => r.Outcome == "already-replayed")} replayed before (not produced again), {result.Records.Count(r => r.Outcome == "refused")} refused");
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

    private static string Field(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var v)) return "-";
        return v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetInt64(out var n) => n < 0 ? "-" : n.ToString(CultureInfo.InvariantCulture),
            JsonValueKind.Number => v.GetDouble() < 0 ? "-" : v.GetDouble().ToString("0.##", CultureInfo.InvariantCulture),
            JsonValueKind.String => v.GetString() ?? "",
            JsonValueKind.True => "yes",
            JsonValueKind.False => "no",
            _ => "-",
        };
    }

    private static long Number(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : -1;

    private static string Short(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private static string Printable(string text) => new(text.Select(c => char.IsControl(c) ? '·' : c).ToArray());

    internal static Table NewTable(params string[] headers)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers) table.AddColumn(new TableColumn(new Text(header)));
        return table;
    }

    internal static IEnumerable<IRenderable> Cells(params string[] cells) => cells.Select(c => new Text(c));

    private static string Offset(long offset) => offset < 0 ? "-" : offset.ToString(CultureInfo.InvariantCulture);

    private static string Offsets(IReadOnlyList<PartitionOffsetDto> offsets) =>
        offsets.Count == 0 ? "-" : string.Join(" ", offsets.Select(o => $"p{o.Partition}:{o.Offset}"));

    private static string Time(long? epochMs) =>
        epochMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) : "-";
}
