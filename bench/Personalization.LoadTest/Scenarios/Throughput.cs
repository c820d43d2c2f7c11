using System.Diagnostics;
using Personalization.LoadTest.Infra;

namespace Personalization.LoadTest.Scenarios;

/// <summary>End-to-end ingest (engine vs the naive baseline, SQLite and PostgreSQL) and catch-up of a 1M backlog.</summary>
public static class Throughput
{
    public const int GamesUsers = 31_013;

    /// <summary>BENCH_STORES=sqlite (or postgresql) limits a run to one store (profiling); default both.</summary>
    public static string[] Stores => Environment.GetEnvironmentVariable("BENCH_STORES") is { Length: > 0 } s ? s.Split(',') : ["sqlite", "postgresql"];

    /// <summary>BENCH_NO_NAIVE=1 skips the baseline (profiling the engine only); never for reported figures.</summary>
    private static bool NoNaive => Environment.GetEnvironmentVariable("BENCH_NO_NAIVE") == "1";

    public static async Task<ScenarioResult> EndToEndAsync(BenchContext ctx)
    {
        var r = new ScenarioResult { Scenario = "e2e", Title = "end-to-end ingest: produced → applied, checkpoint durable, offset committed (1 node)", Quick = ctx.Quick };
        var clock = Stopwatch.StartNew();
        var events = ctx.Quick ? 60_000L : 300_000L;

        // Naive baseline on its own backlog (same workload), then the engine.
        var naiveEvents = ctx.Quick ? 40_000L : 200_000L;
        var naiveTopic = ctx.NewTopic("naive");
        await ctx.ProduceAsync(naiveTopic, ctx.Workload(naiveEvents, GamesUsers), naiveEvents);
        // Cumulative committed events: commits advance in checkpoint-sized steps, so a per-interval rate is all spikes.
        var plot = new Plot { File = "e2e-throughput.png", Title = "End-to-end ingest, 1 node: events committed (slope = throughput)", XLabel = "seconds since the phase started", YLabel = "events committed" };
        foreach (var store in Stores)
        {
            if (NoNaive)
            {
                foreach (var only in await Ingest.RunAsync(ctx, store, events, GamesUsers, backlog: true, "e2e", warm: true))
                    Ingest.AddRow(r, "engine (BENCH_NO_NAIVE: profiling run)", only);
                continue;
            }

            var naiveSeq = await Naive.RunAsync(ctx, store, naiveTopic, 1, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(ctx.Quick ? 3 : 6), naiveEvents);
            var naive = await Naive.RunAsync(ctx, store, naiveTopic, 256, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(ctx.Quick ? 5 : 15), naiveEvents);
            r.Row(("run", "naive: Ask awaited per event"), ("store", store), ("events/s (committed)", naiveSeq.Rate), ("seconds", naiveSeq.Seconds),
                ("CPU cores", naiveSeq.Resources["cpu_cores_used"]), ("CPU µs/event", naiveSeq.Resources["cpu_us_per_event"]), ("alloc B/event", naiveSeq.Resources["alloc_bytes_per_event"]));
            r.Row(("run", "naive: 256 Asks in flight"), ("store", store), ("events/s (committed)", naive.Rate), ("seconds", naive.Seconds),
                ("CPU cores", naive.Resources["cpu_cores_used"]), ("CPU µs/event", naive.Resources["cpu_us_per_event"]), ("alloc B/event", naive.Resources["alloc_bytes_per_event"]));
            r.Figures[$"naive_{store}_per_s"] = naive.Rate;
            var phases = await Ingest.RunAsync(ctx, store, events, GamesUsers, backlog: true, "e2e", warm: true);
            foreach (var m in phases)
            {
                Ingest.AddRow(r, "engine", m, naive.Rate);
                r.Figures[$"engine_{m.Phase}_{store}_per_s"] = m.EventsPerSecond;
                r.Figures[$"engine_{m.Phase}_{store}_ratio_to_naive"] = Math.Round(m.EventsPerSecond / naive.Rate, 2);
                r.Figures[$"engine_{m.Phase}_{store}_checkpoints_per_event"] = m.CheckpointsPerEvent;
                r.Figures[$"engine_{m.Phase}_{store}_cpu_us_per_event"] = m.Resources.GetValueOrDefault("cpu_us_per_event");
                plot.Lines.Add(new Line { Label = $"engine {m.Phase}, {store}", X = m.TimelineSeconds, Y = Cumulative(m) });
            }

            var engine = phases[^1];
            plot.Lines.Add(new Line { Label = $"naive (256 in flight), {store}", X = [0, 5], Y = [0, 5 * naive.Rate] });
            // freshness and query run on SQLite at fractions of the best complete SQLite rate of this run
            if (store == "sqlite" && engine.Complete) ctx.MaxIngestRate = Math.Max(ctx.MaxIngestRate ?? 0, engine.EventsPerSecond);
        }

        r.Plots.Add(plot);
        r.Notes.Add($"Engine, phase cold: a backlog of {events:N0} events over {GamesUsers:N0} synthetic users (real item ids), produced before the node starts, so every user is new to the node and its first event waits for its recovery from the store. " +
                    $"Phase warm: {events:N0} more events for the same users, now live, produced as fast as the producer goes. Rate = events / (time all offsets committed − start), start = first event applied (cold, a backlog) or producer start (warm, produced live). Production settings: checkpoint every 2 s or 200 events.");
        r.Notes.Add("Naive: the same workload; enable.auto.commit (offsets stored when consumed, so not at-least-once), one Ask per event, " +
                    "Persist per event (journal every event), one unbatched ONNX run (B=1) per event on the actor thread. Measured over a fixed window after warm-up; '× naive' uses the faster naive variant (256 Asks in flight).");
        r.DurationSeconds = clock.Elapsed.TotalSeconds;
        return r;
    }

    public static async Task<ScenarioResult> CatchUpAsync(BenchContext ctx)
    {
        var r = new ScenarioResult { Scenario = "catchup", Title = "catch-up: a backlog replayed from Kafka (target ≥ 100,000 events/s)", Quick = ctx.Quick };
        var clock = Stopwatch.StartNew();
        var events = ctx.Quick ? 200_000L : 1_000_000L;
        var plot = new Plot { File = "catchup-throughput.png", Title = $"Catch-up of {events:N0} events: events committed (slope = throughput)", XLabel = "seconds since the first event applied", YLabel = "events committed" };
        foreach (var store in Stores)
        {
            var m = (await Ingest.RunAsync(ctx, store, events, GamesUsers, backlog: true, "catchup"))[0];
            Ingest.AddRow(r, "engine", m);
            r.Figures[$"catchup_{store}_per_s"] = m.EventsPerSecond;
            plot.Lines.Add(new Line { Label = store, X = m.TimelineSeconds, Y = Cumulative(m) });
            if (store == "sqlite" && m.Complete) ctx.MaxIngestRate = Math.Max(ctx.MaxIngestRate ?? 0, m.EventsPerSecond);
        }

        r.Plots.Add(plot);
        r.Notes.Add($"{events:N0} events over {GamesUsers:N0} users already in the topic when the node starts (recovery after downtime).");
        r.DurationSeconds = clock.Elapsed.TotalSeconds;
        return r;
    }

    /// <summary>Events committed so far at each sample.</summary>
    private static double[] Cumulative(IngestMeasurement m) => m.TimelineCommitted;
}
