using System.Diagnostics;
using System.Net.Http.Json;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Routing;
using Personalization.Node.Http;
using Personalization.Node.Http.Admin;
using Personalization.Node.Local;
using Personalization.Tests.Cluster;
using Personalization.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Personalization.Tests.Faults;

/// <summary>
/// Fault 7 of issue 11: a network partition between nodes. Three node processes; during ingest one of them is cut off
/// from the other two — every remoting message between them dropped, both ways, by Akka.Remote's throttler adapter
/// (<c>Cluster:NetworkFaultInjection</c>, test only; why this mechanism: <c>Http/Admin/AdminNetworkFaultEndpoints</c>).
/// The split-brain resolver (keep-majority) must down the minority, the majority must take over its partitions and
/// users and go on ingesting, and no user may ever be live on two nodes that both count themselves members.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class NetworkPartitionFaultTests(FaultContext context, ITestOutputHelper output)
{
    private const int Minority = 2;

    [Fact]
    public async Task A_node_cut_off_from_the_other_two_is_downed_while_the_majority_goes_on_and_no_user_is_ever_live_on_two_nodes()
    {
        using var broker = EmbeddedKafkaBroker.Start(brokers: 1);
        using var stream = FaultStream.Create(broker, LocalClusterHarness.Partitions);
        await using var cluster = LocalClusterHarness.Create(3, broker.BootstrapServers, stream.Topic, await context.Postgres.CreateDatabaseAsync(),
            o => o.Cluster.NetworkFaultInjection = true);
        await cluster.StartAllAsync();
        await cluster.WaitUntilShardsFollowPartitionsAsync(TimeSpan.FromSeconds(120));
        // Spread wider than the other faults: detection, the resolver's decision and the minority's shutdown take
        // seconds each, and the majority must still have a stream to go on with afterwards.
        var produce = stream.ProduceAsync(over: TimeSpan.FromSeconds(4 * FaultSettings.StreamSeconds));
        await FaultProbe.WaitUntilAppliedAsync(cluster.Node(0).Http, stream, stream.Workload.Events.Count / 5);

        var addresses = new List<string>();
        for (var i = 0; i < 3; i++) addresses.Add((await ClusterViewAsync(cluster.Node(i))).Self);
        var minority = cluster.Node(Minority);
        var minorityPartitions = (await minority.Http.GetFromJsonAsync("/cluster/shards", ApiJsonContext.Default.NodeShardsDto))!.Partitions;
        Assert.NotEmpty(minorityPartitions);
        // The minority's users, asked on the majority the whole time: the queries that could start a second actor there.
        var asked = stream.Workload.ItemsByUser.Keys
            .Where(u => minorityPartitions.Contains(KafkaPartitioner.PartitionFor(u, LocalClusterHarness.Partitions))).Take(10).ToArray();
        Assert.NotEmpty(asked);
        await using var sampler = LiveUserSampler.Start(() => cluster.Live);
        await using var queries = QueryProbe.Start(cluster.Node(0).Http, asked);
        await Eventually.AssertAsync(() =>
        {
            Assert.True(sampler.Count >= 6, $"{sampler.Count} samples of the live users before the cut");
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));

        var fault = Stopwatch.StartNew();
        foreach (var peer in new[] { 0, 1 })
        {
            using var cut = await minority.Http.PostAsJsonAsync("/admin/faults/network/cut", new ClusterAddressRequest(addresses[peer]),
                AdminJsonContext.Default.ClusterAddressRequest);
            Assert.True(cut.IsSuccessStatusCode, $"cut {addresses[peer]}: {(int)cut.StatusCode} {await cut.Content.ReadAsStringAsync()}");
        }

        // The majority sees the minority unreachable, downs it (keep-majority) and removes it; nodes 0 and 1 stay Up.
        double? unreachableAfter = null;
        await Eventually.AssertAsync(async () =>
        {
            var view = await ClusterViewAsync(cluster.Node(0));
            if (view.Unreachable.Contains(addresses[Minority])) unreachableAfter ??= fault.Elapsed.TotalSeconds;
            Assert.Equal(new[] { addresses[0], addresses[1] }.Order(StringComparer.Ordinal), view.Members.Select(m => m.Address).Order(StringComparer.Ordinal));
            Assert.All(view.Members, m => Assert.Equal("Up", m.Status));
        }, FaultSettings.RecoverTimeout, TimeSpan.FromMilliseconds(200));
        var removedAfter = fault.Elapsed.TotalSeconds;

        // The minority downs itself (its side has 1 of 3) and runs coordinated shutdown: the process ends on its own.
        var budget = cluster.Options(Minority).Shutdown.Total;
        await Eventually.AssertAsync(() =>
        {
            Assert.True(minority.HasExited, $"the minority node is still running {fault.Elapsed.TotalSeconds:0.0} s after the cut");
            return Task.CompletedTask;
        }, budget + TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
        var exitedAfter = fault.Elapsed.TotalSeconds;
        var sinceFaultEnd = Stopwatch.StartNew();

        // The majority goes on: it consumes every partition and hosts every shard, the minority's included.
        await cluster.WaitUntilShardsFollowPartitionsAsync(FaultSettings.RecoverTimeout);
        var takenOverAfter = fault.Elapsed.TotalSeconds;
        await queries.StopAsync();
        await sampler.StopAsync();
        var overlaps = sampler.Overlaps();
        var whileMembers = overlaps.Where(o => o.BothMembers).ToList();
        foreach (var o in overlaps.Take(20)) output.WriteLine($"live twice: {o}");
        var minorityLog = minority.Log;
        var notes = $"the majority saw it unreachable after {unreachableAfter:0.0} s and removed it after {removedAfter:0.0} s; "
            + $"the minority downed itself{(minorityLog.Contains("DownReachable", StringComparison.Ordinal) ? " (SBR: DownReachable)" : "")} and exited on its own "
            + $"after {exitedAfter:0.0} s, code {minority.ExitCode}, not restarted; the majority hosted every partition after {takenOverAfter:0.0} s; "
            + $"{sampler.Count} samples of live users: {whileMembers.Select(o => o.User).Distinct().Count()} users live on two members at once, "
            + $"{overlaps.Count - whileMembers.Count} samples live on the majority and on the minority after it had downed itself; "
            + $"queries for its users on the majority: {queries.Answered} answered, {queries.Failures.Count} failed";
        output.WriteLine(notes);
        foreach (var line in minorityLog.Split('\n').Where(l => l.Contains("SBR", StringComparison.Ordinal) || l.Contains("drain", StringComparison.OrdinalIgnoreCase)
                     || l.Contains("Self downed", StringComparison.Ordinal) || l.Contains("Node stopped", StringComparison.Ordinal)))
            output.WriteLine($"[minority] {line.TrimEnd()}");

        await produce;
        await FaultVerdict.AssertRecoveredAsync("network partition (1 of 3 nodes cut off)", "postgresql", stream, cluster.Node(0).Http,
            stream.Topic + "-group", context.Offline, sinceFaultEnd, exitedAfter, notes);

        Assert.True(sampler.Count >= 30, $"only {sampler.Count} samples of the live users: the invariant was hardly watched");
        Assert.True(whileMembers.Count == 0, $"users live on two nodes that both counted themselves members: {string.Join("; ", whileMembers.Take(10))}");
        Assert.True(minority.ExitCode == 0, $"the minority exited with {minority.ExitCode}:\n{minorityLog}");
        // Downed, its shard region stopped at once: its drain commits what is durable without waiting for acknowledgements
        // that cannot come any more (it used to wait out its whole drain timeout, 15 s, holding its partitions).
        Assert.Contains("Draining Kafka ingest of a downed node", minorityLog);
        var drainTimeout = cluster.Options(Minority).Shutdown.DrainTimeoutSeconds;
        Assert.True(exitedAfter - removedAfter < drainTimeout, $"the minority took {exitedAfter - removedAfter:0.0} s to exit after its removal, as long as its drain timeout ({drainTimeout} s)");
    }

    private static async Task<ClusterStateDto> ClusterViewAsync(LocalNodeProcess node) =>
        (await node.Http.GetFromJsonAsync("/admin/cluster", AdminJsonContext.Default.ClusterStateDto))!;
}
