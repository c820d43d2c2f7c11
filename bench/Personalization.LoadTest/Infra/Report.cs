using System.Globalization;
using System.Text;

namespace Personalization.LoadTest.Infra;

/// <summary>bench/results/README.md: the goals table from whatever scenario JSON files are in the folder, then each scenario.</summary>
public static class Report
{
    public static void Write(string outDir, string[] order)
    {
        var results = order.Select(n => Path.Combine(outDir, n + ".json")).Where(File.Exists).Select(ScenarioResult.Load).OfType<ScenarioResult>().ToDictionary(r => r.Scenario);
        var sb = new StringBuilder();
        sb.AppendLine("# Benchmark results");
        sb.AppendLine();
        sb.AppendLine("Written by `bench/Personalization.LoadTest` (see `bench/README.md`). Each scenario below says when it ran, the load average at its start and how long it took.");
        sb.AppendLine();
        var any = results.Values.FirstOrDefault();
        if (any is not null)
        {
            sb.AppendLine($"- Machine: {any.Machine}");
            sb.AppendLine($"- Command: `{any.Command}`");
            sb.AppendLine($"- Runs: {string.Join(", ", results.Values.Select(r => $"{r.Scenario} {r.Started} (load {r.LoadAverageAtStart:0.00})"))}");
            sb.AppendLine();
        }

        sb.AppendLine("## Goals");
        sb.AppendLine();
        sb.AppendLine("| goal | target | measured | met |");
        sb.AppendLine("|---|---|---|---|");
        double F(string scenario, string key) => results.TryGetValue(scenario, out var r) && r.Figures.TryGetValue(key, out var v) ? v : double.NaN;
        void Goal(string goal, string target, double value, string unit, Func<double, bool> met)
            => sb.AppendLine($"| {goal} | {target} | {(double.IsNaN(value) ? "not run" : ScenarioResult.Format(value) + unit)} | {(double.IsNaN(value) || target == "(report)" ? "–" : met(value) ? "yes" : "**no**")} |");
        foreach (var store in new[] { "sqlite", "postgresql" })
        {
            Goal($"end-to-end ingest, 1 node, {store}, users live (warm)", "≥ 50,000 events/s", F("e2e", $"engine_warm_{store}_per_s"), " events/s", v => v >= 50_000);
            Goal($"end-to-end ingest, 1 node, {store}, every user new to the node (cold)", "≥ 50,000 events/s", F("e2e", $"engine_cold_{store}_per_s"), " events/s", v => v >= 50_000);
            Goal($"engine (warm) ÷ naive baseline, {store}", "≥ 5×", F("e2e", $"engine_warm_{store}_ratio_to_naive"), "×", v => v >= 5);
            Goal($"engine (cold) ÷ naive baseline, {store}", "≥ 5×", F("e2e", $"engine_cold_{store}_ratio_to_naive"), "×", v => v >= 5);
            Goal($"catch-up of a 1M backlog, {store}", "≥ 100,000 events/s", F("catchup", $"catchup_{store}_per_s"), " events/s", v => v >= 100_000);
        }

        Goal("freshness p99 at 50% of max", "≤ 50 ms", F("freshness", "freshness_p99_ms_at_50"), " ms", v => v <= 50);
        Goal("freshness p99 at 90% of max", "(report)", F("freshness", "freshness_p99_ms_at_90"), " ms", _ => true);
        Goal("query p99 at 2,000 q/s while ingesting at 50%", "≤ 5 ms", F("query", "query_p99_ms_at_2000_while_ingesting"), " ms", v => v <= 5);
        Goal("max queries/s", "(report)", F("query", "query_max_per_s"), " q/s", _ => true);
        foreach (var users in new[] { 10_000, 100_000, 1_000_000 })
            Goal($"heap per live user beyond the state vector, {users:N0} users", "≤ 2 KB", F("users", $"bytes_per_user_beyond_state_{users}"), " B", v => v <= 2048);
        var million = results.TryGetValue("users", out var u) ? u.Rows.FirstOrDefault(r => r.GetValueOrDefault("live users") is double d && d >= 1_000_000) : null;
        var millionDone = million?.GetValueOrDefault("complete") is true;
        Goal("1M live users on one node (all 1M events committed within the phase bound)", "runs", F("users", "events_per_s_1000000"), $" events/s{(million is null || millionDone ? "" : ", incomplete")}", _ => millionDone);
        Goal("recovery, SQLite", "(report)", F("recovery", "recovery_sqlite_users_per_s"), " users/s", _ => true);
        Goal("recovery, PostgreSQL", "(report)", F("recovery", "recovery_postgresql_users_per_s"), " users/s", _ => true);
        sb.AppendLine();

        // CPU bound: the per-event costs of the components measured alone, summed.
        if (results.ContainsKey("ceilings") && results.ContainsKey("e2e"))
        {
            sb.AppendLine("## Fraction of the CPU bound");
            sb.AppendLine();
            sb.AppendLine("For the e2e warm phase (users live) when it completed, else the catch-up run. Per-event cost of each component measured alone (1 / its rate, in µs of the whole machine), weighted by how often the engine uses it per event; the bound is 1 / Σ.");
            sb.AppendLine();
            sb.AppendLine("| store | Kafka consume µs | model step (batcher) µs | sharding Tell µs | checkpoint write µs (× checkpoints/event) | Σ µs | CPU bound events/s | engine events/s | fraction |");
            sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
            foreach (var store in new[] { "sqlite", "postgresql" })
            {
                // The warm e2e phase when it completed, else the catch-up run (also complete, 1M events).
                var source = "e2e warm";
                var cpe = F("e2e", $"engine_warm_{store}_checkpoints_per_event");
                var engine = F("e2e", $"engine_warm_{store}_per_s");
                if (double.IsNaN(engine) && results.TryGetValue("catchup", out var cu) && cu.Rows.FirstOrDefault(r => r.GetValueOrDefault("store") as string == store) is { } row)
                {
                    source = "catch-up";
                    cpe = row.GetValueOrDefault("checkpoints/event") is double c ? c : double.NaN;
                    engine = F("catchup", $"catchup_{store}_per_s");
                }

                var kafka = 1e6 / F("ceilings", "kafka_consume_per_s");
                var model = 1e6 / F("ceilings", "model_batcher_per_s");
                var shard = 1e6 / F("ceilings", "sharding_tell_per_s");
                var journal = cpe * 1e6 / F("ceilings", $"checkpoint_journal_{store}_persistasync_per_s");
                var sum = kafka + model + shard + journal;
                var bound = 1e6 / sum;
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {store} ({source}) | {kafka:0.00} | {model:0.00} | {shard:0.00} | {journal:0.00} ({cpe:0.###}) | {sum:0.00} | {bound:N0} | {engine:N0} | {engine / bound:P0} |"));
            }

            sb.AppendLine();
        }

        sb.AppendLine();
        sb.AppendLine("## Scenarios");
        sb.AppendLine();
        foreach (var name in order)
            if (results.TryGetValue(name, out var r)) sb.AppendLine(r.ToMarkdown());
        File.WriteAllText(Path.Combine(outDir, "README.md"), sb.ToString());
    }
}
