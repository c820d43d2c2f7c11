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
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (watcher.Committed() < Throughput.GamesUsers && DateTime.UtcNow < deadline) await Task.Delay(200);
        Console.WriteLine($"  {Throughput.GamesUsers:N0} users live (committed {watcher.Committed():N0})");
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
        var plot = new Plot { File = "query-latency.png", Title = "Query latency at 2,000 q/s (open loop, HdrHistogram)", XLabel = "percentile", YLabel = "ms (log10 scale)", LogY = true };

        foreach (var (label, ingest) in new[] { ("while ingesting at 50% of max", true), ("no ingest", false) })
        {
            if (!ingest) producer.Stop();
            var before = await PromHistogram.ScrapeAsync(http, FreshnessMetric);
            var h = await OpenLoopQueriesAsync(node.BaseAddress, 2000, window, Throughput.GamesUsers);
            var after = await PromHistogram.ScrapeAsync(http, FreshnessMetric);
            var ps = new[] { 50, 90, 99, 99.9 }.Select(p => Math.Round(h.Histogram.GetValueAtPercentile(p) / 1000.0, 2)).ToArray();
            var fresh99 = ingest ? Math.Round(1000 * PromHistogram.Percentile(before, after, 99, out _), 1) : double.NaN;
            r.Row(("run", $"2,000 q/s {label}"), ("queries", (double)h.Histogram.TotalCount), ("errors", (double)h.Errors), ("p50 ms", ps[0]), ("p90 ms", ps[1]), ("p99 ms", ps[2]), ("p99.9 ms", ps[3]),
                ("max ms", Math.Round(h.Histogram.GetMaxValue() / 1000.0, 1)), ("freshness p99 ms", fresh99));
            if (ingest) r.Figures["query_p99_ms_at_2000_while_ingesting"] = ps[2];
            plot.Lines.Add(new Line { Label = label, X = [50, 90, 99, 99.9], Y = ps });
            Console.WriteLine($"  queries 2,000/s {label}: p50 {ps[0]} ms, p99 {ps[2]} ms, p99.9 {ps[3]} ms, errors {h.Errors}");
        }

        // Max queries/s: Debian's wrk (closed loop), random users.
        var script = Path.Combine(ctx.WorkDir, "users.lua");
        await File.WriteAllTextAsync(script, $"math.randomseed(42)\nrequest = function()\n  return wrk.format(\"GET\", \"/users/u\" .. math.random(0, {Throughput.GamesUsers - 1}) .. \"/recommendations?k=10\")\nend\n");
        var (rps, wrkLatency) = Wrk(node.BaseAddress, script, ctx.Quick ? 5 : 10);
        r.Row(("run", "max queries/s (wrk -t2 -c64, closed loop, no ingest)"), ("queries", rps), ("p50 ms", wrkLatency));
        r.Figures["query_max_per_s"] = rps;
        Console.WriteLine($"  max queries/s (wrk): {rps:N0}");
        r.Plots.Add(plot);
        r.Notes.Add("Open-loop client: requests start on a fixed schedule (2,000/s) whatever the server does; latency = completion − scheduled start (no coordinated omission), HdrHistogram in µs. Users drawn at random from the 31,013 that receive events; client runs in the same process (2 cores shared).");
        r.Notes.Add($"Ingest at 50% of max = {0.5 * max:N0} events/s (open-loop producer). 'max queries/s' row: the queries column is requests/s, the p50 column wrk's average latency.");
        r.DurationSeconds = clock.Elapsed.TotalSeconds;
        return r;
    }

    public sealed record QueryRun(LongConcurrentHistogram Histogram, long Errors);

    public static async Task<QueryRun> OpenLoopQueriesAsync(string baseAddress, double rate, TimeSpan duration, int users)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(baseAddress), Timeout = TimeSpan.FromSeconds(30) };
        var histogram = new LongConcurrentHistogram(1, 60_000_000, 3);
        long errors = 0;
        var random = new Random(5);
        // warm the connection pool
        await Task.WhenAll(Enumerable.Range(0, 32).Select(i => client.GetAsync($"/users/u{i}/recommendations?k=10")));
        var total = (long)(rate * duration.TotalSeconds);
        var tasks = new List<Task>((int)total);
        var clock = Stopwatch.StartNew();
        var ticksPerRequest = Stopwatch.Frequency / rate;
        var start = Stopwatch.GetTimestamp();
        for (long i = 0; i < total; i++)
        {
            var scheduled = start + (long)(i * ticksPerRequest);
            while (Stopwatch.GetTimestamp() < scheduled)
            {
                var wait = (scheduled - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                if (wait > 1) await Task.Delay((int)wait - 1);
                else Thread.SpinWait(50);
            }

            var url = $"/users/u{random.Next(users)}/recommendations?k=10";
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    using var response = await client.GetAsync(url);
                    await response.Content.ReadAsByteArrayAsync();
                    if (!response.IsSuccessStatusCode) Interlocked.Increment(ref errors);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref errors);
                }

                var micros = (Stopwatch.GetTimestamp() - scheduled) * 1_000_000 / Stopwatch.Frequency;
                histogram.RecordValue(Math.Clamp(micros, 1, 60_000_000));
            }));
        }

        await Task.WhenAll(tasks);
        return new QueryRun(histogram, errors);
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
