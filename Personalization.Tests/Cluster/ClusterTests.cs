using System.Diagnostics;
using System.Net.Http.Json;
using Personalization.Actors.Events;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Routing;
using Personalization.Node.Http;
using Personalization.Tests.Engine;
using Personalization.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Personalization.Tests.Cluster;

/// <summary>
/// Three nodes as processes: partition-aligned shards (no event crosses the network in steady state), any node
/// answers for any user, and scaling down and up or SIGKILL during ingestion loses nothing and applies nothing twice.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterTests(PostgresFixture postgres, EngineTestContext context, ITestOutputHelper output) : IClassFixture<EngineTestContext>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Three nodes up, every partition consumed and every shard on the node that consumes its partition.</summary>
    private async Task<LocalClusterHarness> AlignedClusterAsync()
    {
        var topic = context.CreateTopic(LocalClusterHarness.Partitions);
        var database = await postgres.Server.CreateDatabaseAsync("pz_" + Guid.NewGuid().ToString("N")[..12]);
        var cluster = LocalClusterHarness.Create(3, context.Broker.BootstrapServers, topic, database);
        try
        {
            await cluster.StartAllAsync();
            await cluster.WaitUntilShardsFollowPartitionsAsync(Settle);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task Shards_follow_partitions_so_no_event_crosses_the_network_and_any_node_answers_for_any_user()
    {
        await using var cluster = await AlignedClusterAsync();
        var remoteBefore = await cluster.RemoteDeliveriesAsync();
        var workload = SampleWorkload.Take(150);

        using (var producer = new KafkaEventProducer(cluster.Bootstrap, cluster.Topic)) await producer.ProduceManyAsync(workload.Events);

        await EngineAssertions.WaitUntilAllAppliedAsync(cluster.Node(0).Http, workload, ApplyTimeout);
        foreach (var node in cluster.Live) await EngineAssertions.AssertMatchesOfflineReplayAsync(node.Http, workload, context.Offline);
        Assert.Equal(remoteBefore, await cluster.RemoteDeliveriesAsync());
    }

    [Fact]
    public async Task Scaling_from_three_to_two_and_back_during_ingestion_loses_nothing_and_applies_nothing_twice()
    {
        await using var cluster = await AlignedClusterAsync();
        var workload = SampleWorkload.Take(150);
        var produce = ProduceSlowlyAsync(cluster, workload, TimeSpan.FromSeconds(20));

        await WaitUntilSomeAppliedAsync(cluster.Node(0), workload);
        await cluster.StopAsync(2);
        await cluster.WaitUntilShardsFollowPartitionsAsync(Settle);
        await cluster.StartAsync(2);
        await cluster.WaitUntilShardsFollowPartitionsAsync(Settle);

        await produce;
        await EngineAssertions.WaitUntilAllAppliedAsync(cluster.Node(2).Http, workload, ApplyTimeout);
        await EngineAssertions.AssertMatchesOfflineReplayAsync(cluster.Node(0).Http, workload, context.Offline);
    }

    [Fact]
    public async Task A_node_killed_during_ingestion_is_replaced_by_the_survivors_with_nothing_lost_or_applied_twice()
    {
        await using var cluster = await AlignedClusterAsync();
        var workload = SampleWorkload.Take(150);
        var produce = ProduceSlowlyAsync(cluster, workload, TimeSpan.FromSeconds(20));

        await WaitUntilSomeAppliedAsync(cluster.Node(0), workload);
        var killedAt = Stopwatch.StartNew();
        var orphaned = (await cluster.Node(2).Http.GetFromJsonAsync("/cluster/shards", ApiJsonContext.Default.NodeShardsDto))!.Partitions;
        using var failover = new CancellationTokenSource();
        var availability = QueryAvailability.MeasureAsync(cluster.Node(0).Http,
            orphaned.Select(p => LocalClusterHarness.UserOfPartition(p, "asked")).ToArray(), failover.Token);
        await cluster.KillAsync(2);

        // Ingestion has resumed for the dead node's partitions once a fresh event of each of them is applied.
        using (var producer = new KafkaEventProducer(cluster.Bootstrap, cluster.Topic))
        {
            var run = Guid.NewGuid().ToString("N")[..8];
            var probes = orphaned.Select(p => new ListeningEvent(LocalClusterHarness.UserOfPartition(p, $"probe-{run}"), "1", EventType.Play, 0)).ToList();
            await producer.ProduceManyAsync(probes);
            await Eventually.AssertAsync(async () =>
            {
                foreach (var probe in probes)
                    Assert.Equal(1, (await cluster.Node(0).Http.GetFromJsonAsync($"/users/{probe.UserId}/session", ApiJsonContext.Default.SessionDto))!.EventCount);
            }, ApplyTimeout, TimeSpan.FromMilliseconds(250));
        }

        output.WriteLine($"kill -9 → ingestion resumed for partitions [{string.Join(",", orphaned)}] after {killedAt.Elapsed.TotalSeconds:0.0} s");
        await failover.CancelAsync();
        var queries = await availability;
        output.WriteLine($"queries for the killed node's users meanwhile: {queries}");
        // Every query is answered — live, or degraded within the 1 s budget — never an error or a wait of seconds.
        Assert.Equal(queries.Total, queries.Ok);
        Assert.True(queries.MaxLatency < TimeSpan.FromSeconds(3), $"slowest answer {queries.MaxLatency.TotalMilliseconds:0} ms");
        await produce;
        await EngineAssertions.WaitUntilAllAppliedAsync(cluster.Node(1).Http, workload, ApplyTimeout);
        await EngineAssertions.AssertMatchesOfflineReplayAsync(cluster.Node(0).Http, workload, context.Offline);
        await cluster.WaitUntilShardsFollowPartitionsAsync(Settle);
    }

    private static async Task WaitUntilSomeAppliedAsync(Node.Local.LocalNodeProcess node, SampleWorkload workload) =>
        await Eventually.AssertAsync(async () =>
        {
            var applied = 0L;
            foreach (var user in workload.ItemsByUser.Keys.Take(30))
                applied += (await node.Http.GetFromJsonAsync($"/users/{user}/session", ApiJsonContext.Default.SessionDto))!.EventCount;
            Assert.True(applied >= 20, $"{applied} events applied so far");
        }, ApplyTimeout, TimeSpan.FromMilliseconds(250));

    /// <summary>The workload spread evenly over <paramref name="duration"/>, so nodes come and go in the middle of it.</summary>
    private static async Task ProduceSlowlyAsync(LocalClusterHarness cluster, SampleWorkload workload, TimeSpan duration)
    {
        using var producer = new KafkaEventProducer(cluster.Bootstrap, cluster.Topic);
        var chunks = workload.Events.Chunk(Math.Max(1, workload.Events.Count / 60)).ToList();
        foreach (var chunk in chunks)
        {
            await producer.ProduceManyAsync(chunk);
            await Task.Delay(duration / chunks.Count);
        }
    }
}
