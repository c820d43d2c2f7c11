using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using HdrHistogram;
using Personalization.Actors.Telemetry;
using Personalization.LoadTest.Infra;

namespace Personalization.LoadTest.Scenarios;

/// <summary>Freshness at fixed ingest rates, and query latency at a fixed query rate while ingesting.</summary>
public static class Latency
{
    private const string FreshnessMetric = "personalization_event_freshness_seconds";

    public static double MaxRate(BenchContext ctx)
    {
        if (double.TryParse(Environment.GetEnvironmentVariable("BENCH_MAX_RATE"), out var forced)) return forced;
        if (ctx.MaxIngestRate is { } r) return r;
        foreach (var file in new[] { "e2e.json", "catchup.json" })
        {
            var path = Path.Combine(ctx.OutDir, file);
            if (ScenarioResult.Load(path) is { } prior)
            {
                var best = prior.Figures.Where(f => f.Key is "engine_warm_sqlite_per_s" or "catchup_sqlite_per_s").Select(f => f.Value).DefaultIfEmpty(0).Max();
                if (file == "e2e.json" && ScenarioResult.Load(Path.Combine(ctx.OutDir, "catchup.json")) is { } c && c.Figures.TryGetValue("catchup_sqlite_per_s", out var cu)) best = Math.Max(best, cu);
                if (best > 0) return best;
            }
        }

        Console.WriteLine("  no e2e result yet: assuming max 50,000 events/s");
        return 50_000;
    }

    /// <summary>A node whose 31,013 users are all live already (one event each, committed): measurements then see
    /// steady-state ingest, not first touches (each new user's recovery from the store).</summary>
    private static async Task<NodeRunner> LiveNodeAsync(BenchContext ctx, string label)
    {
        var topic = ctx.NewTopic(label);
        var (provider, connection) = await ctx.NewStoreAsync("sqlite", label + "-" + Guid.NewGuid().ToString("N")[..6]);
        var options = NodeRunner.Options_(ctx, topic, provider, connection);
        if (Ingest.CheckpointSeconds is { } cs) options.Sessions.CheckpointIntervalSeconds = cs;
        await ctx.ProduceAsync(topic, ctx.Workload(Throughput.GamesUsers, Throughput.GamesUsers), Throughput.GamesUsers);
        var node = await NodeRunner.StartAsync(options);
        using var watcher = new CommitWatcher(ctx.Bootstrap, options.Kafka.GroupId, topic, BenchContext.Partitions);
        var committed = await watcher.WaitForAsync(Throughput.GamesUsers, TimeSpan.FromSeconds(180));
        Console.WriteLine($"  {Throughput.GamesUsers:N0} users live (committed {committed:N0})");
        return node;
    }

    public static async Task<ScenarioResult> FreshnessAsync(BenchContext ctx)
    {
        var r = new ScenarioResult { Scenario = "freshness", Title = "freshness: event produced → visible in the user's recommendations", Quick = ctx.Quick };
        var clock = Stopwatch.StartNew();
        var max = MaxRate(ctx);
        await using var node = await LiveNodeAsync(ctx, "fresh");
        using var http = new HttpClient { BaseAddress = new Uri(node.BaseAddress) };
        using var producer = new OpenLoopProducer(ctx, node.Options.Kafka.Topic, Throughput.GamesUsers);
        producer.Start(0.5 * max);
        await Task.Delay(TimeSpan.FromSeconds(ctx.Quick ? 3 : 5)); // warm-up: users created, JIT, connections
        var window = TimeSpan.FromSeconds(ctx.Quick ? 6 : 15);
        var plot = new Plot { File = "freshness.png", Title = "Freshness (produce → visible), percentile by load", XLabel = "percentile", YLabel = "ms (log10 scale)", LogY = true };
        foreach (var fraction in new[] { 0.5, 0.9 })
        {
            producer.Rate = fraction * max;
            await Task.Delay(TimeSpan.FromSeconds(2)); // settle at the new rate
            var before = await PromHistogram.ScrapeAsync(http, FreshnessMetric);
            var sent0 = producer.Sent;
            var applied0 = EngineMetrics.EventsApplied.Value;
            var res = ResourceSample.Now();
            await Task.Delay(window);
            var after = await PromHistogram.ScrapeAsync(http, FreshnessMetric);
            var applied = (EngineMetrics.EventsApplied.Value - applied0) / window.TotalSeconds;
            var resources = ResourceSample.Now().Since(res, applied * window.TotalSeconds);
            var ps = new[] { 50, 90, 99, 99.9 }.Select(p => Math.Round(1000 * PromHistogram.Percentile(before, after, p, out _), 1)).ToArray();
            r.Row(("load", $"{fraction:P0} of max"), ("target events/s", Math.Round(fraction * max)), ("produced events/s", Math.Round((producer.Sent - sent0) / window.TotalSeconds)),
                ("applied events/s", Math.Round(applied)), ("p50 ms", ps[0]), ("p90 ms", ps[1]), ("p99 ms", ps[2]), ("p99.9 ms", ps[3]), ("CPU cores", resources["cpu_cores_used"]));
            r.Figures[$"freshness_p99_ms_at_{fraction * 100:0}"] = ps[2];
            plot.Lines.Add(new Line { Label = $"{fraction:P0} of max ({fraction * max:N0} ev/s)", X = [50, 90, 99, 99.9], Y = ps });
            Console.WriteLine($"  freshness at {fraction:P0} ({fraction * max:N0}/s): p50 {ps[0]} ms, p99 {ps[2]} ms, p99.9 {ps[3]} ms");
        }

        producer.Stop();
        r.Plots.Add(plot);
        r.Notes.Add($"Max = {max:N0} events/s: the best complete SQLite ingest rate (e2e warm or catch-up) of this run or the saved results. Open-loop producer (fixed rate, ts = produce time, linger.ms 5 as every producer of ours), 1 node, SQLite.");
        r.Notes.Add("Measured in the engine: histogram personalization_event_freshness_seconds (apply time − event ts) scraped from /metrics; percentiles interpolated within buckets (1, 2, 3, 5, 7.5, 10, 15, 20, 30, 40, 50, 75, 100 ms, …); ts has ms resolution.");
        r.DurationSeconds = clock.Elapsed.TotalSeconds;
        return r;
    }

    public static async Task<ScenarioResult> QueryAsync(BenchContext ctx)
    {
        var r = new ScenarioResult { Scenario = "query", Title = "query latency (GET /users/{id}/recommendations?k=10) while ingesting", Quick = ctx.Quick };
        var clock = Stopwatch.StartNew();
        var max = MaxRate(ctx);
        await using var node = await LiveNodeAsync(ctx, "query");
        using var http = new HttpClient { BaseAddress = new Uri(node.BaseAddress) };
        using var producer = new OpenLoopProducer(ctx, node.Options.Kafka.Topic, Throughput.GamesUsers);
        producer.Start(0.5 * max);
        await Task.Delay(TimeSpan.FromSeconds(ctx.Quick ? 4 : 8)); // most users have events
        var window = TimeSpan.FromSeconds(ctx.Quick ? 6 : 15);
        var step = TimeSpan.FromSeconds(ctx.Quick ? 4 : 8);

        using var allocations = AllocationProfile.Enabled ? new AllocationProfile() : null;
        using var pauses = GcPauseProfile.Enabled ? new GcPauseProfile() : null;
        const string ServerMetric = "personalization_http_request_duration_seconds";
        const string Route = "route=\"/users/{userId}/recommendations\"";
        async Task<(QueryClientResult Q, double Fresh99, double Applied, double Server99, double GcPausePct, double GcMaxMs)> Measure(double rate, TimeSpan duration, bool ingest)
        {
            var pause0 = GC.GetTotalPauseDuration();
            var gcInfo0 = GC.GetGCMemoryInfo(GCKind.Any).Index;
            var gcCounts0 = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            allocations?.Reset();
            pauses?.Reset();
            var serverBefore = await PromHistogram.ScrapeAsync(http, ServerMetric, Route);
            var before = await PromHistogram.ScrapeAsync(http, FreshnessMetric);
            var applied0 = EngineMetrics.EventsApplied.Value;
            var started = Stopwatch.StartNew();
            var q = await QueryClient.RunInOwnProcessAsync(node.BaseAddress, rate, duration, Throughput.GamesUsers);
            var appliedEvents = EngineMetrics.EventsApplied.Value - applied0;
            var applied = appliedEvents / started.Elapsed.TotalSeconds;
            allocations?.Print($"{rate:N0} q/s, ingest {ingest}, per applied event", appliedEvents);
            pauses?.Print($"{rate:N0} q/s, ingest {ingest}", started.Elapsed);
            var last = GC.GetGCMemoryInfo(GCKind.Ephemeral);
            Console.WriteLine($"  GCs gen0/1/2: {GC.CollectionCount(0) - gcCounts0.Item1}/{GC.CollectionCount(1) - gcCounts0.Item2}/{GC.CollectionCount(2) - gcCounts0.Item3} in {started.Elapsed.TotalSeconds:N1} s; " +
                $"last ephemeral: gen{last.Generation}, pause {last.PauseDurations[0].TotalMilliseconds:N1} ms, promoted {last.PromotedBytes / 1e6:N1} MB, heap {last.HeapSizeBytes / 1e6:N0} MB, " +
                $"gen sizes after {string.Join('/', Enumerable.Range(0, 5).Select(g => (last.GenerationInfo[g].SizeAfterBytes / 1e6).ToString("N0")))} MB, pinned {last.PinnedObjectsCount}, concurrent {last.Concurrent}");
            var after = await PromHistogram.ScrapeAsync(http, FreshnessMetric);
            var fresh99 = ingest ? Math.Round(1000 * PromHistogram.Percentile(before, after, 99, out _), 1) : double.NaN;
            var serverAfter = await PromHistogram.ScrapeAsync(http, ServerMetric, Route);
            var server99 = Math.Round(1000 * PromHistogram.Percentile(serverBefore, serverAfter, 99, out _), 2);
            var pausePct = Math.Round(100 * (GC.GetTotalPauseDuration() - pause0).TotalSeconds / started.Elapsed.TotalSeconds, 2);
            var gcMax = new[] { GCKind.Ephemeral, GCKind.FullBlocking, GCKind.Background }
                .Select(kind => GC.GetGCMemoryInfo(kind)).Where(g => g.Index > gcInfo0)
                .Select(g => g.PauseDurations.ToArray().Sum(p => p.TotalMilliseconds)).DefaultIfEmpty(0).Max();
            return (q, fresh99, Math.Round(applied), server99, pausePct, Math.Round(gcMax, 1));
        }

        void Row(string label, (QueryClientResult Q, double Fresh99, double Applied, double Server99, double GcPausePct, double GcMaxMs) m) =>
            r.Row(("run", label), ("target q/s", m.Q.TargetPerSecond), ("issued q/s", m.Q.IssuedPerSecond), ("queries", (double)m.Q.Requests),
                ("429", (double)m.Q.Rejected429), ("errors", (double)m.Q.Failed), ("degraded", (double)m.Q.Degraded), ("p50 ms", m.Q.P50Ms), ("p90 ms", m.Q.P90Ms),
                ("p99 ms", m.Q.P99Ms), ("p99.9 ms", m.Q.P999Ms), ("max ms", m.Q.MaxMs), ("server p99 ms", m.Server99), ("GC pause %", m.GcPausePct), ("applied ev/s", m.Applied), ("freshness p99 ms", m.Fresh99));

        // Warm-up, not counted: JIT tiers, connection pools, the users' first rankings.
        var warm = await Measure(1000, TimeSpan.FromSeconds(ctx.Quick ? 4 : 8), ingest: true);
        Console.WriteLine($"  warm-up 1,000 q/s (not counted): p50 {warm.Q.P50Ms} ms, p99 {warm.Q.P99Ms} ms (server p99 {warm.Server99} ms)");

        // The promise: 2,000 q/s while ingesting at half the max.
        var main = await Measure(2000, window, ingest: true);
        Row("2,000 q/s while ingesting at 50% of max", main);
        r.Figures["query_p99_ms_at_2000_while_ingesting"] = main.Q.P99Ms;
        r.Figures["query_p999_ms_at_2000_while_ingesting"] = main.Q.P999Ms;
        r.Figures["freshness_p99_ms_during_queries"] = main.Fresh99;
        Console.WriteLine($"  2,000 q/s while ingesting: p50 {main.Q.P50Ms} ms, p99 {main.Q.P99Ms} ms (server p99 {main.Server99} ms), p99.9 {main.Q.P999Ms} ms, 429 {main.Q.Rejected429}, errors {main.Q.Failed}; freshness p99 {main.Fresh99} ms");

        // The latency-throughput curve at the same ingest rate; max sustainable = the highest rate whose p99 is within
        // 5 ms with (almost) every query answered.
        var rates = ctx.Quick ? new double[] { 1000, 5000, 10000 } : [1000, 2000, 5000, 10000, 15000, 20000, 30000];
        var curve = new List<(double Rate, QueryClientResult Q)>();
        double sustainable = 0;
        foreach (var rate in rates)
        {
            var m = await Measure(rate, step, ingest: true);
            Row($"curve: {rate:N0} q/s while ingesting", m);
            curve.Add((rate, m.Q));
            var answered = m.Q.Requests == 0 ? 0 : 1.0 - (double)(m.Q.Rejected429 + m.Q.Failed) / m.Q.Requests;
            if (m.Q.P99Ms <= 5 && answered >= 0.99 && m.Q.IssuedPerSecond >= 0.95 * rate) sustainable = rate;
            Console.WriteLine($"  curve {rate:N0} q/s: issued {m.Q.IssuedPerSecond:N0}/s p50 {m.Q.P50Ms} ms p99 {m.Q.P99Ms} ms (server p99 {m.Server99} ms, GC pause {m.GcPausePct} %) 429 {m.Q.Rejected429} errors {m.Q.Failed}; applied {m.Applied:N0} ev/s, freshness p99 {m.Fresh99} ms");
            if (m.Q.P99Ms > 1000) break; // far beyond capacity: the next rates only queue more
        }

        r.Figures["query_max_sustainable_per_s_while_ingesting"] = sustainable;
        producer.Stop();
        // "No ingest" means an idle engine: the backlog the curve left (ingest yields to queries) is applied and
        // committed first, else the row measures catch-up.
        var drained = await DrainAsync(ctx, node, producer.Sent + Throughput.GamesUsers, TimeSpan.FromSeconds(ctx.Quick ? 180 : 300));
        r.Notes.Add(drained);
        Console.WriteLine($"  {drained}");
        var idle = await Measure(2000, window, ingest: false);
        Row("2,000 q/s, no ingest", idle);
        r.Figures["query_p99_ms_at_2000_no_ingest"] = idle.Q.P99Ms;
        Console.WriteLine($"  2,000 q/s no ingest: p50 {idle.Q.P50Ms} ms, p99 {idle.Q.P99Ms} ms (server p99 {idle.Server99} ms, GC pause {idle.GcPausePct} %), p99.9 {idle.Q.P999Ms} ms");

        // Max queries/s: Debian's wrk (closed loop), random users.
        var script = Path.Combine(ctx.WorkDir, "users.lua");
        await File.WriteAllTextAsync(script, $"math.randomseed(42)\nrequest = function()\n  return wrk.format(\"GET\", \"/users/u\" .. math.random(0, {Throughput.GamesUsers - 1}) .. \"/recommendations?k=10\")\nend\n");
        var (rps, wrkLatency) = Wrk(node.BaseAddress, script, ctx.Quick ? 5 : 10);
        r.Row(("run", "max queries/s (wrk -t2 -c64, closed loop, no ingest)"), ("issued q/s", rps), ("p50 ms", wrkLatency));
        r.Figures["query_max_per_s"] = rps;
        Console.WriteLine($"  max queries/s (wrk): {rps:N0}");

        r.Plots.Add(new Plot
        {
            File = "query-latency.png", Title = $"Query latency vs rate while ingesting {0.5 * max:N0} ev/s (open loop, own process)",
            XLabel = "queries/s", YLabel = "ms (log10 scale)", LogY = true,
            Lines =
            [
                new Line { Label = "p50", X = curve.Select(c => c.Rate).ToArray(), Y = curve.Select(c => Math.Max(c.Q.P50Ms, 0.01)).ToArray() },
                new Line { Label = "p99", X = curve.Select(c => c.Rate).ToArray(), Y = curve.Select(c => Math.Max(c.Q.P99Ms, 0.01)).ToArray() },
                new Line { Label = "p99.9", X = curve.Select(c => c.Rate).ToArray(), Y = curve.Select(c => Math.Max(c.Q.P999Ms, 0.01)).ToArray() },
            ],
        });
        r.Notes.Add("Open-loop client in a process of its own (the load tool's `query-client` verb, workstation GC): requests start on a fixed schedule whatever the server does; latency = completion − scheduled start (no coordinated omission), HdrHistogram in µs. Users drawn at random from the 31,013 that receive events. Engine, broker, producer and client share the 2 cores.");
        r.Notes.Add($"Ingest at 50% of max = {0.5 * max:N0} events/s (open-loop producer). 429 = admission control refused the query (Retry-After); degraded = answered from the last list or the popular items. Max sustainable = the highest rate of the curve with p99 ≤ 5 ms, ≥ 99 % answered and the client keeping its schedule. 'max queries/s' row: wrk's requests/s and average latency.");
        r.DurationSeconds = clock.Elapsed.TotalSeconds;
        return r;
    }

    /// <summary>Waits until every produced event is committed (applied and durable), or the deadline; says which.</summary>
    private static async Task<string> DrainAsync(BenchContext ctx, NodeRunner node, long produced, TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        using var watcher = new CommitWatcher(ctx.Bootstrap, node.Options.Kafka.GroupId, node.Options.Kafka.Topic, BenchContext.Partitions);
        var committed = await watcher.WaitForAsync(produced, deadline, pollMs: 500);
        return committed >= produced
            ? $"Before the no-ingest row the backlog was applied and committed: {produced:N0} events, {clock.Elapsed.TotalSeconds:N0} s after the producer stopped."
            : $"The no-ingest row ran with a backlog still applying: {produced - committed:N0} of {produced:N0} events uncommitted after {deadline.TotalSeconds:N0} s.";
    }

    private static (double Rps, double AvgMs) Wrk(string baseAddress, string script, int seconds)
    {
        var start = new ProcessStartInfo("wrk", $"-t2 -c64 -d{seconds}s --latency -s {script} {baseAddress}") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var rps = Regex.Match(output, @"Requests/sec:\s+([\d.]+)");
        var avg = Regex.Match(output, @"Latency\s+([\d.]+)(us|ms|s)");
        double ms = double.NaN;
        if (avg.Success)
        {
            ms = double.Parse(avg.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            ms = avg.Groups[2].Value switch { "us" => ms / 1000, "s" => ms * 1000, _ => ms };
        }

        return (rps.Success ? Math.Round(double.Parse(rps.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)) : double.NaN, Math.Round(ms, 2));
    }
}
