using System.Diagnostics;
using Personalization.Actors.Telemetry;
using Personalization.LoadTest.Infra;

namespace Personalization.LoadTest.Scenarios;

/// <summary>What one ingest phase measured.</summary>
public sealed record IngestMeasurement(
    string Store,
    string Phase,
    long Events,
    int Users,
    double EventsPerSecond,
    double AppliedPerSecond,
    double Seconds,
    double CheckpointsPerEvent,
    double HeapBytesPerUser,
    bool Complete,
    Dictionary<string, double> Resources,
    double[] TimelineSeconds,
    double[] TimelineCommittedRate,
    double[] TimelineAppliedRate,
    double[] TimelineCommitted);

/// <summary>
/// One node (EngineHost.Build) ingests a topic. Phase "cold": a backlog produced before the node starts (or, with
/// backlog = false, produced once it is ready, after the managed heap with zero users was measured) — every user is
/// new to the node, so each first event also pays the user's recovery from the store. Phase "warm" (optional): as many
/// events again for the same, now live, users, produced as fast as the producer goes. A phase is done when the group's
/// committed offsets reach the end offsets: every event applied, its checkpoint durable, its offset committed.
/// </summary>
public static class Ingest
{
    /// <summary>Bounds every phase (BENCH_MAX_PHASE_SECONDS, default 90 s): a slow engine gives a partial rate, marked incomplete.</summary>
    private static double MaxPhaseSeconds => double.TryParse(Environment.GetEnvironmentVariable("BENCH_MAX_PHASE_SECONDS"), out var s) ? s : 90;

    /// <summary>BENCH_CHECKPOINT_SECONDS overrides the checkpoint interval T (default: NodeOptions' 2 s).</summary>
    public static double? CheckpointSeconds => double.TryParse(Environment.GetEnvironmentVariable("BENCH_CHECKPOINT_SECONDS"), out var s) ? s : null;

    public static async Task<List<IngestMeasurement>> RunAsync(BenchContext ctx, string store, long events, int users, bool backlog, string label, bool warm = false)
    {
        var topic = ctx.NewTopic(label);
        if (backlog)
        {
            var rate = await ctx.ProduceAsync(topic, ctx.Workload(events, users), events);
            Console.WriteLine($"  produced {events:N0} events over {users:N0} users at {rate:N0}/s");
        }

        var (provider, connection) = await ctx.NewStoreAsync(store, label + "-" + Guid.NewGuid().ToString("N")[..6]);
        var options = NodeRunner.Options_(ctx, topic, provider, connection);
        if (CheckpointSeconds is { } cs) options.Sessions.CheckpointIntervalSeconds = cs;
        await using var node = await NodeRunner.StartAsync(options);
        using var watcher = new CommitWatcher(ctx.Bootstrap, options.Kafka.GroupId, topic, BenchContext.Partitions);
        var results = new List<IngestMeasurement>();
        var heapBefore = FullGcHeap();
        Func<Task<double>>? produce = backlog ? null : () => ctx.ProduceAsync(topic, ctx.Workload(events, users), events);
        var cold = await PhaseAsync(node, watcher, store, "cold", 0, events, users, produce, heapBefore, label);
        results.Add(cold);
        if (warm && !cold.Complete)
        {
            // Let the cold backlog finish (not measured, bounded) so that the warm phase measures only live users.
            await watcher.WaitForAsync(events, TimeSpan.FromSeconds(120), pollMs: 500);
        }

        if (warm && watcher.Committed() >= events)
        {
            // ProduceAsync checks the watermarks against the total, so produce through it with the running total.
            Func<Task<double>> more = () => ctx.ProduceMoreAsync(topic, ctx.Workload(events, users, seed: 8), events, events);
            results.Add(await PhaseAsync(node, watcher, store, "warm", events, events, users, more, double.NaN, label));
        }

        return results;
    }

    private static async Task<IngestMeasurement> PhaseAsync(NodeRunner node, CommitWatcher watcher, string store, string phase, long committedBase, long events, int users,
        Func<Task<double>>? produce, double heapBefore, string label)
    {
        // Counters first, then the producer: events applied before the base was taken were missed (up to 10k of 200k).
        var appliedBase = EngineMetrics.EventsApplied.Value;
        var checkpointsBase = EngineMetrics.CheckpointsPersisted.Value;
        var limit = TimeSpan.FromSeconds(MaxPhaseSeconds);
        var clock = Stopwatch.StartNew();
        // Produced live: the phase starts with the producer (the first event may be applied only once shard homes are
        // known); a backlog: it starts with the first event applied.
        ResourceSample? resStart = produce is null ? null : ResourceSample.Now();
        double? firstApplied = produce is null ? null : 0, allApplied = null, allCommitted = null;
        var producing = produce?.Invoke();
        var ts = new List<double>();
        var committedRate = new List<double>();
        var appliedRate = new List<double>();
        var committedSeries = new List<double>();
        double lastT = 0, lastApplied = 0, lastCommitted = 0;
        while (clock.Elapsed < limit)
        {
            await Task.Delay(200);
            var t = clock.Elapsed.TotalSeconds;
            var applied = EngineMetrics.EventsApplied.Value - appliedBase;
            var committed = (double)(watcher.Committed() - committedBase);
            if (firstApplied is null && applied > 0)
            {
                firstApplied = t;
                resStart = ResourceSample.Now();
            }

            if (allApplied is null && applied >= events) allApplied = t;
            if (firstApplied is not null)
            {
                ts.Add(Math.Round(t - firstApplied.Value, 2));
                appliedRate.Add(Math.Round((applied - lastApplied) / (t - lastT)));
                committedRate.Add(Math.Round((committed - lastCommitted) / (t - lastT)));
                committedSeries.Add(committed);
            }

            if (Environment.GetEnvironmentVariable("BENCH_DEBUG") == "1")
                Console.WriteLine($"    t={t:0.0} sent-to-region={await MetricAsync(node, "personalization_ingest_events_total")} applied={applied} " +
                                  $"checkpoints={EngineMetrics.CheckpointsPersisted.Value - checkpointsBase} durable={EngineMetrics.EventsAcknowledged.Value} committed={committed} " +
                                  $"duplicates={EngineMetrics.DuplicatesSkipped.Value} out-of-order={EngineMetrics.EventsOutOfOrder.Value}");
            lastT = t;
            lastApplied = applied;
            lastCommitted = committed;
            if (committed >= events)
            {
                allCommitted = t;
                break;
            }
        }

        var resources = resStart is { } rs ? ResourceSample.Now().Since(rs, lastApplied) : [];
        if (producing is not null) await producing;
        var heapAfter = double.IsNaN(heapBefore) ? double.NaN : FullGcHeap();
        var checkpoints = EngineMetrics.CheckpointsPersisted.Value - checkpointsBase;
        var end = allCommitted ?? clock.Elapsed.TotalSeconds;
        var first = firstApplied ?? 0;
        var done = allCommitted is not null;
        var seconds = end - first;
        var m = new IngestMeasurement(store, phase, events, users, Math.Round((done ? events : lastCommitted) / seconds), Math.Round(lastApplied / ((allApplied ?? end) - first)),
            Math.Round(seconds, 2), Math.Round(checkpoints / Math.Max(1, lastApplied), 4),
            // users ≥ events: each event is a new user, so the live users are the applied events (also when incomplete)
            Math.Round((heapAfter - heapBefore) / (users >= events ? Math.Max(1, lastApplied) : users)), done, resources, ts.ToArray(), committedRate.ToArray(), appliedRate.ToArray(), committedSeries.ToArray());
        Console.WriteLine($"  {label}/{phase} [{store}] {events:N0} events / {users:N0} users: {m.EventsPerSecond:N0} ev/s committed ({m.AppliedPerSecond:N0} applied), {m.Seconds} s, " +
                          $"checkpoints/event {m.CheckpointsPerEvent}, heap/user {m.HeapBytesPerUser:N0} B, cpu {resources.GetValueOrDefault("cpu_cores_used")} cores, " +
                          $"{resources.GetValueOrDefault("cpu_us_per_event")} µs/event, alloc/event {resources.GetValueOrDefault("alloc_bytes_per_event")} B{(done ? "" : " (INCOMPLETE: bounded by BENCH_MAX_PHASE_SECONDS)")}");
        return m;
    }

    private static async Task<string> MetricAsync(NodeRunner node, string name)
    {
        using var http = new HttpClient { BaseAddress = new Uri(node.BaseAddress) };
        var text = await http.GetStringAsync("/metrics");
        return string.Join(",", text.Split('\n').Where(l => l.StartsWith(name, StringComparison.Ordinal)).Select(l => l[(l.LastIndexOf(' ') + 1)..]));
    }

    public static long FullGcHeap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(false);
    }

    public static void AddRow(ScenarioResult r, string name, IngestMeasurement m, double? naive = null)
    {
        var row = r.Row(
            ("run", name), ("store", m.Store), ("phase", m.Phase), ("events", (double)m.Events), ("users", (double)m.Users),
            ("events/s (committed)", m.EventsPerSecond), ("events/s (applied)", m.AppliedPerSecond), ("seconds", m.Seconds),
            ("checkpoints/event", m.CheckpointsPerEvent), ("CPU cores", m.Resources.GetValueOrDefault("cpu_cores_used")),
            ("CPU µs/event", m.Resources.GetValueOrDefault("cpu_us_per_event")), ("alloc B/event", m.Resources.GetValueOrDefault("alloc_bytes_per_event")),
            ("gen0/1/2", $"{m.Resources.GetValueOrDefault("gen0")}/{m.Resources.GetValueOrDefault("gen1")}/{m.Resources.GetValueOrDefault("gen2")}"),
            ("complete", m.Complete));
        if (naive is { } n) row["× naive"] = Math.Round(m.EventsPerSecond / n, 1);
    }
}
