using System.Diagnostics;
using System.Net.Http.Json;
using Personalization.Actors.Kafka.Broker;
using Personalization.Node.Http.Admin;
using Personalization.Tests.Cluster;
using Personalization.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Personalization.Tests.Faults;

/// <summary>
/// Fault 8 of issue 11, the rebalance storm: in a three-node cluster, nodes leave and join every few seconds for
/// <see cref="FaultSettings.StormSeconds"/> (a minute in the soak) during ingest, so consumer-group rebalances and
/// shard hand-offs overlap instead of settling. Leaves alternate between SIGTERM (a graceful leave: drain, hand-off)
/// and kill -9 (the node becomes unreachable and the split-brain resolver downs it).
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class RebalanceStormFaultTests(FaultContext context, ITestOutputHelper output)
{
    /// <summary>How long a node that joined stays before it leaves again; a start takes 5–10 s on its own here.</summary>
    private static readonly TimeSpan StayUp = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Nodes_leaving_and_joining_every_few_seconds_during_ingest_lose_nothing_and_apply_nothing_twice()
    {
        using var broker = EmbeddedKafkaBroker.Start(brokers: 1);
        using var stream = FaultStream.Create(broker, LocalClusterHarness.Partitions);
        await using var cluster = LocalClusterHarness.Create(3, broker.BootstrapServers, stream.Topic, await context.Postgres.CreateDatabaseAsync());
        await cluster.StartAllAsync();
        await cluster.WaitUntilShardsFollowPartitionsAsync(TimeSpan.FromSeconds(120));
        // The stream must outlast the storm: it starts after a fifth of the stream is applied, and the changes under
        // way when it ends (a start takes up to ~10 s) still happen during ingest.
        var duration = TimeSpan.FromSeconds(FaultSettings.StormSeconds);
        var produce = stream.ProduceAsync(over: TimeSpan.FromSeconds(Math.Max(4 * FaultSettings.StreamSeconds, 1.5 * FaultSettings.StormSeconds + 20)));
        try
        {
            await FaultProbe.WaitUntilAppliedAsync(cluster.Node(0).Http, stream, stream.Workload.Events.Count / 5);
        }
        catch
        {
            output.WriteLine(cluster.LogTails()); // once seen in a full-suite run: no progress before the storm began
            throw;
        }

        // Node 0 stays (the first seed, the lowest address, it answers the checks); nodes 1 and 2 each leave and join
        // in turn, half a cycle apart; joins may overlap anything. A kill -9 waits until all three are Up and
        // reachable and holds the gate until its node is back, a SIGTERM holds it until its node has left: two nodes
        // unreachable at once would leave node 0 a minority, which downs itself. None begins after the storm's time.
        var storm = Stopwatch.StartNew();
        var changes = new List<(double At, string What)>();
        using var gate = new SemaphoreSlim(1);
        async Task CycleAsync(int node, TimeSpan offset)
        {
            await Task.Delay(offset); // staggers the two nodes' cycles, not a synchronisation
            for (var cycle = 0; storm.Elapsed < duration; cycle++)
            {
                if (cycle % 2 == 1)
                {
                    await gate.WaitAsync();
                    try
                    {
                        await Eventually.AssertAsync(async () => Assert.True(await AllUpAsync(cluster), "three members Up and reachable"),
                            FaultSettings.RecoverTimeout, TimeSpan.FromMilliseconds(200));
                        if (storm.Elapsed >= duration) break;
                        Record($"kill -9 node {node}");
                        await cluster.KillAsync(node);
                        Record($"node {node} starting");
                        await cluster.StartAsync(node); // its new incarnation replaces the unreachable one
                    }
                    finally
                    {
                        gate.Release();
                    }
                }
                else
                {
                    // The gate until the node has left: a node that leaves next to a killed one cannot finish leaving
                    // (no convergence while a member is unreachable), so its process would end by its phase timeouts
                    // and leave node 0 alone among two unreachable members.
                    await gate.WaitAsync();
                    try
                    {
                        Record($"SIGTERM node {node}");
                        await cluster.StopAsync(node);
                    }
                    finally
                    {
                        gate.Release();
                    }

                    Record($"node {node} starting");
                    await cluster.StartAsync(node);
                }

                await Task.Delay(StayUp); // the node's time in the cluster before its next leave
            }
        }

        void Record(string what)
        {
            lock (changes) changes.Add((storm.Elapsed.TotalSeconds, what));
        }

        await Task.WhenAll(CycleAsync(1, TimeSpan.Zero), CycleAsync(2, TimeSpan.FromSeconds(4)));
        var faultSeconds = storm.Elapsed.TotalSeconds;
        Assert.False(produce.IsCompleted, $"the stream ended before the storm ({faultSeconds:0.0} s): it did not all happen during ingest");
        var sinceFaultEnd = Stopwatch.StartNew();
        foreach (var (at, what) in changes) output.WriteLine($"{at,6:0.0} s  {what}");

        var leaves = changes.Count(c => !c.What.EndsWith("starting", StringComparison.Ordinal));
        var kills = changes.Count(c => c.What.StartsWith("kill", StringComparison.Ordinal));
        var gaps = changes.Zip(changes.Skip(1), (a, b) => b.At - a.At).ToList();
        var notes = $"{changes.Count} membership changes in {faultSeconds:0.0} s ({leaves - kills} SIGTERM, {kills} kill -9, {changes.Count - leaves} joins); "
            + $"between changes: mean {(gaps.Count > 0 ? gaps.Average() : 0):0.0} s, longest {(gaps.Count > 0 ? gaps.Max() : 0):0.0} s";
        output.WriteLine(notes);
        await produce;
        await FaultVerdict.AssertRecoveredAsync($"rebalance storm (3 nodes, a change every few seconds for {duration.TotalSeconds:0} s)", "postgresql", stream,
            cluster.Node(0).Http, stream.Topic + "-group", context.Offline, sinceFaultEnd, faultSeconds, notes);
        Assert.True(storm.Elapsed >= duration, "the storm ended early");
        Assert.True(kills > 0 || duration < TimeSpan.FromSeconds(20), "no kill -9 leave in a storm long enough for one");
    }

    /// <summary>Node 0 sees three members, all Up and reachable.</summary>
    private static async Task<bool> AllUpAsync(LocalClusterHarness cluster)
    {
        var view = await cluster.Node(0).Http.GetFromJsonAsync("/admin/cluster", AdminJsonContext.Default.ClusterStateDto);
        return view!.Members.Count == 3 && view.Unreachable.Count == 0 && view.Members.All(m => m.Status == "Up");
    }
}
