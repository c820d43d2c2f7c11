using System.Diagnostics;
using Personalization.Actors.Kafka.Broker;
using Personalization.Tests.Cluster;
using Xunit;

namespace Personalization.Tests.Faults;

/// <summary>
/// Fault 8 of issue 11 (the rebalance storm half): in a three-node cluster, nodes leave (SIGTERM) and join again
/// back to back during ingest, so consumer-group rebalances and shard hand-offs overlap instead of settling.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class RebalanceStormFaultTests(FaultContext context)
{
    [Fact]
    public async Task Nodes_leaving_and_joining_back_to_back_during_ingest_lose_nothing_and_apply_nothing_twice()
    {
        using var broker = EmbeddedKafkaBroker.Start(brokers: 1);
        using var stream = FaultStream.Create(broker, LocalClusterHarness.Partitions);
        await using var cluster = LocalClusterHarness.Create(3, broker.BootstrapServers, stream.Topic, await context.Postgres.CreateDatabaseAsync());
        await cluster.StartAllAsync();
        await cluster.WaitUntilShardsFollowPartitionsAsync(TimeSpan.FromSeconds(120));
        // Node restarts take seconds each: the stream is spread wider so the whole storm happens during ingest.
        var produce = stream.ProduceAsync(over: TimeSpan.FromSeconds(4 * FaultSettings.StreamSeconds));
        await FaultProbe.WaitUntilAppliedAsync(cluster.Node(0).Http, stream, stream.Workload.Events.Count / 5);

        // Node 0 stays (it is the first seed and answers the checks); nodes 1 and 2 take turns leaving and joining.
        var storm = Stopwatch.StartNew();
        var changes = 0;
        for (var round = 0; round < 2 * FaultSettings.Repeat; round++)
        {
            var node = 1 + round % 2;
            await cluster.StopAsync(node);
            await cluster.StartAsync(node);
            changes += 2;
        }

        var faultSeconds = storm.Elapsed.TotalSeconds;
        var sinceFaultEnd = Stopwatch.StartNew();
        await produce;
        await FaultVerdict.AssertRecoveredAsync("rebalance storm (3 nodes, leave/join back to back)", "postgresql", stream, cluster.Node(0).Http,
            stream.Topic + "-group", context.Offline, sinceFaultEnd, faultSeconds, $"{changes} membership changes");
    }
}
