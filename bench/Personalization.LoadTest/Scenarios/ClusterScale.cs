using System.Diagnostics;
using System.Net.Http.Json;
using Personalization.LoadTest.Infra;
using Personalization.Node.Hosting;
using Personalization.Node.Http;
using Personalization.Node.Local;

namespace Personalization.LoadTest.Scenarios;

/// <summary>
/// The same ingest on 1 node and on a 3-node local cluster (node processes configured like the pods, PostgreSQL):
/// what a second and third process buy on this machine. All processes share its 2 cores.
/// </summary>
public static class ClusterScale
{
    private const int Users = 5_000;

    public static async Task<ScenarioResult> RunAsync(BenchContext ctx)
    {
        var r = new ScenarioResult { Scenario = "cluster", Title = "1 node vs a 3-node local cluster (PostgreSQL)", Quick = ctx.Quick };
        var events = ctx.Quick ? 30_000L : 200_000L;
        foreach (var nodes in new[] { 1, 3 })
        {
            var (rate, seconds, complete) = await IngestAsync(ctx, nodes, events);
            r.Row(("nodes", nodes), ("events", events), ("users", Users), ("events/s (committed)", Math.Round(rate)), ("seconds", Math.Round(seconds, 1)), ("complete", complete));
            r.Figures[$"cluster_{nodes}_nodes_per_s"] = Math.Round(rate);
        }

        r.Figures["cluster_3_vs_1"] = Math.Round(r.Figures["cluster_3_nodes_per_s"] / r.Figures["cluster_1_nodes_per_s"], 2);
        r.Notes.Add($"{events:N0} events over {Users:N0} users, produced once every node is ready and the partitions are assigned; " +
                    "rate = events / (time all offsets committed − produce start). Nodes are `personalization run` processes with the " +
                    "environment contract of the Kubernetes pods and production session settings; they share this machine's 2 cores, " +
                    "so three processes cannot be faster than the cores allow — the figure shows the cost of the cluster machinery here, not scale-out.");
        return r;
    }

    private static async Task<(double Rate, double Seconds, bool Complete)> IngestAsync(BenchContext ctx, int count, long events)
    {
        var topic = ctx.NewTopic($"cluster{count}");
        var (_, connection) = await ctx.NewStoreAsync("postgresql", $"cluster{count}-{Guid.NewGuid():N}"[..20]);
        var ports = Enumerable.Range(0, count).Select(_ => FreePorts.Next()).ToArray();
        var seeds = string.Join(',', ports.Select(p => $"akka.tcp://personalization@127.0.0.1:{p}"));
        var nodes = new List<LocalNodeProcess>();
        try
        {
            nodes.AddRange(await Task.WhenAll(ports.Select((port, i) =>
            {
                var o = new NodeOptions();
                o.Http.Host = "127.0.0.1";
                o.Http.Port = 0;
                o.Kafka.BootstrapServers = ctx.Bootstrap;
                o.Kafka.Topic = topic;
                o.Kafka.GroupId = topic + "-group";
                o.Kafka.Partitions = BenchContext.Partitions;
                o.Kafka.SessionTimeoutMs = 6000;
                o.Store.Provider = "postgresql";
                o.Store.ConnectionString = connection;
                o.Model.Path = ctx.ModelPath;
                o.Cluster.Port = port;
                o.Cluster.SeedNodes = seeds;
                return LocalNodeProcess.StartAsync($"node{i}", o, TimeSpan.FromSeconds(120));
            })));
            await WaitUntilAllPartitionsAssignedAsync(nodes);

            using var watcher = new CommitWatcher(ctx.Bootstrap, topic + "-group", topic, BenchContext.Partitions);
            var clock = Stopwatch.StartNew();
            await ctx.ProduceAsync(topic, ctx.Workload(events, Users), events);
            var limit = TimeSpan.FromSeconds(ctx.Quick ? 60 : 120);
            var committed = await watcher.WaitForAsync(events, limit - clock.Elapsed);
            return (committed / clock.Elapsed.TotalSeconds, clock.Elapsed.TotalSeconds, committed >= events);
        }
        finally
        {
            await Task.WhenAll(nodes.Select(async n =>
            {
                try { await n.StopAsync(TimeSpan.FromSeconds(60)); } catch (TimeoutException) { }
                await n.DisposeAsync();
            }));
        }
    }

    private static async Task WaitUntilAllPartitionsAssignedAsync(List<LocalNodeProcess> nodes)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            var assigned = 0;
            foreach (var node in nodes)
                assigned += (await node.Http.GetFromJsonAsync("/cluster/shards", ApiJsonContext.Default.NodeShardsDto))!.Partitions.Count;
            if (assigned == BenchContext.Partitions) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{assigned} of {BenchContext.Partitions} partitions assigned after 90 s");
            await Task.Delay(500);
        }
    }
}
