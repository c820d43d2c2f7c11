using System.Diagnostics;
using Personalization.Actors.Telemetry;
using Personalization.LoadTest.Infra;

namespace Personalization.LoadTest.Scenarios;

/// <summary>What one ingest run measured.</summary>
public sealed record IngestMeasurement(
    string Store,
    long Events,
    int Users,
    double EventsPerSecond,
    double AppliedPerSecond,
    double Seconds,
    double StartupSeconds,
    double CheckpointsPerEvent,
    double HeapBytesPerUser,
    bool Complete,
    Dictionary<string, double> Resources,
    double[] TimelineSeconds,
    double[] TimelineCommittedRate,
    double[] TimelineAppliedRate);

/// <summary>
/// One node (EngineHost.Build) ingests a topic: either a backlog produced before it starts, or events produced once it
/// is ready (then the managed heap with zero users is measured first). Done when the group's committed offsets equal
/// the end offsets, i.e. every event is applied, its checkpoint durable and its offset committed.
/// </summary>
public static class Ingest
{
    public static async Task<IngestMeasurement> RunAsync(BenchContext ctx, string store, long events, int users, bool backlog, string label)
    {
        var topic = ctx.NewTopic(label);
        if (backlog)
        {
            var rate = await ctx.ProduceAsync(topic, ctx.Workload(events, users), events);
            Console.WriteLine($"  produced {events:N0} events over {users:N0} users at {rate:N0}/s");
        }

        var (provider, connection) = await ctx.NewStoreAsync(store, label + "-" + Guid.NewGuid().ToString("N")[..6]);
        var options = NodeRunner.Options_(ctx, topic, provider, connection);
        var heapBefore = FullGcHeap();
        var appliedBase = EngineMetrics.EventsApplied.Value;
        var checkpointsBase = EngineMetrics.CheckpointsPersisted.Value;
        var startClock = Stopwatch.StartNew();
        await using var node = await NodeRunner.StartAsync(options);
        var startup = startClock.Elapsed.TotalSeconds;
        Task<double>? producing = null;
        if (!backlog)
        {
            heapBefore = FullGcHeap();
            producing = ctx.ProduceAsync(topic, ctx.Workload(events, users), events);
        }

        using var watcher = new CommitWatcher(ctx.Bootstrap, options.Kafka.GroupId, topic, BenchContext.Partitions);
        var limit = TimeSpan.FromSeconds(Math.Min(600, 60 + events / 4000.0));
        var clock = Stopwatch.StartNew();
        double? firstApplied = null, allApplied = null, allCommitted = null;
        ResourceSample? resStart = null;
        var ts = new List<double>();
        var committedRate = new List<double>();
        var appliedRate = new List<double>();
        double lastT = 0, lastApplied = 0, lastCommitted = 0;
        while (clock.Elapsed < limit)
        {
            await Task.Delay(200);
            var t = clock.Elapsed.TotalSeconds;
            var applied = EngineMetrics.EventsApplied.Value - appliedBase;
            var committed = (double)watcher.Committed();
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
            }

            lastT = t;
            lastApplied = applied;
            lastCommitted = committed;
            if (committed >= events)
            {
                allCommitted = t;
                break;
            }
        }

        var resources = resStart is { } rs ? ResourceSample.Now().Since(rs, events) : [];
        if (producing is not null) await producing;
        var heapAfter = FullGcHeap();
        var checkpoints = EngineMetrics.CheckpointsPersisted.Value - checkpointsBase;
        var end = allCommitted ?? clock.Elapsed.TotalSeconds;
        var first = firstApplied ?? 0;
        var done = allCommitted is not null;
        var seconds = end - first;
        var rateOut = done ? events / seconds : lastCommitted / seconds;
        var m = new IngestMeasurement(store, events, users, Math.Round(rateOut), Math.Round(events / ((allApplied ?? end) - first)), Math.Round(seconds, 2),
            Math.Round(startup, 2), Math.Round(checkpoints / events, 4), Math.Round((heapAfter - heapBefore) / (double)Math.Min(users, events)),
            done, resources, ts.ToArray(), committedRate.ToArray(), appliedRate.ToArray());
        Console.WriteLine($"  {label} [{store}] {events:N0} events / {users:N0} users: {m.EventsPerSecond:N0} ev/s committed ({m.AppliedPerSecond:N0} applied), {m.Seconds} s, " +
                          $"checkpoints/event {m.CheckpointsPerEvent}, heap/user {m.HeapBytesPerUser:N0} B, cpu {resources.GetValueOrDefault("cpu_cores_used")} cores, alloc/event {resources.GetValueOrDefault("alloc_bytes_per_event")} B{(done ? "" : " (INCOMPLETE)")}");
        return m;
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
            ("run", name), ("store", m.Store), ("events", (double)m.Events), ("users", (double)m.Users),
            ("events/s (committed)", m.EventsPerSecond), ("events/s (applied)", m.AppliedPerSecond), ("seconds", m.Seconds),
            ("checkpoints/event", m.CheckpointsPerEvent), ("CPU cores", m.Resources.GetValueOrDefault("cpu_cores_used")),
            ("CPU µs/event", m.Resources.GetValueOrDefault("cpu_us_per_event")), ("alloc B/event", m.Resources.GetValueOrDefault("alloc_bytes_per_event")),
            ("gen0/1/2", $"{m.Resources.GetValueOrDefault("gen0")}/{m.Resources.GetValueOrDefault("gen1")}/{m.Resources.GetValueOrDefault("gen2")}"),
            ("complete", m.Complete));
        if (naive is { } n) row["× naive"] = Math.Round(m.EventsPerSecond / n, 1);
    }
}
