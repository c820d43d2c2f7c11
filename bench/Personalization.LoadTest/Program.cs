using System.Diagnostics;
using System.Globalization;
using System.Text;
using Personalization.LoadTest.Infra;
using Personalization.LoadTest.Scenarios;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

if (args.Length > 0 && args[0] == "query-client") return await QueryClient.RunAsync(args);

var scenarios = new (string Name, string What, Func<BenchContext, Task<ScenarioResult>> Run)[]
{
    ("ceilings", "each component alone: Kafka consume, model step, journal writes, sharded delivery", Ceilings.RunAsync),
    ("e2e", "end-to-end ingest, SQLite and PostgreSQL, with the naive baseline", Throughput.EndToEndAsync),
    ("catchup", "a 1M-event backlog replayed", Throughput.CatchUpAsync),
    ("freshness", "event produced → visible, at 50% and 90% of max throughput", Latency.FreshnessAsync),
    ("query", "query latency at 2,000 q/s while ingesting at 50%, and max queries/s", Latency.QueryAsync),
    ("scoring", "served top-10 of the int8 scan + exact re-score vs exact scoring, and µs per query", Scoring.RunAsync),
    ("users", "memory per live user and throughput at 10k / 100k / 1M users", Users.RunAsync),
    ("recovery", "users restored per second after a restart", Users.RecoveryAsync),
    ("cluster", "the same ingest on 1 node and on a 3-node local cluster (processes, PostgreSQL)", ClusterScale.RunAsync),
};

var argsList = args.ToList();
if (argsList.Count == 0 || argsList[0] is "-h" or "--help" or "help")
{
    Console.WriteLine("usage: dotnet run -c Release --project bench/Personalization.LoadTest -- <all|report|" + string.Join('|', scenarios.Select(s => s.Name)) + ">... [--out bench/results] [--quick]");
    foreach (var s in scenarios) Console.WriteLine($"  {s.Name,-10} {s.What}");
    Console.WriteLine("  report     rebuild bench/results/README.md from the JSON files there");
    return 0;
}

var quick = argsList.Remove("--quick");
var outDir = "bench/results";
var o = argsList.IndexOf("--out");
if (o >= 0 && o + 1 < argsList.Count)
{
    outDir = argsList[o + 1];
    argsList.RemoveRange(o, 2);
}

var selected = argsList.Contains("all") ? scenarios.Select(s => s.Name).ToList() : argsList.Where(a => a != "report").ToList();
foreach (var name in selected)
    if (scenarios.All(s => s.Name != name)) { Console.Error.WriteLine($"unknown scenario {name}"); return 2; }

Personalization.Actors.Kafka.Broker.LibrdkafkaLoader.EnsureLoaded();
var total = Stopwatch.StartNew();
await using (var ctx = new BenchContext(outDir, quick))
{
    Console.WriteLine($"load average {Machine.LoadAverage():0.00}; {Machine.Describe()}; out {ctx.OutDir}{(quick ? " (quick)" : "")}");
    foreach (var name in selected)
    {
        var s = scenarios.First(x => x.Name == name);
        Console.WriteLine($"== {s.Name}: {s.What} (load average {Machine.LoadAverage():0.00})");
        var clock = Stopwatch.StartNew();
        var result = await s.Run(ctx);
        result.DurationSeconds = Math.Round(clock.Elapsed.TotalSeconds, 1);
        result.Save(ctx.OutDir);
        Console.WriteLine($"   {s.Name} done in {clock.Elapsed.TotalSeconds:0} s");
    }

    Report.Write(ctx.OutDir, scenarios.Select(s => s.Name).ToArray());
}

Console.WriteLine($"total {total.Elapsed.TotalMinutes:0.0} min; results in {outDir}");
return 0;
