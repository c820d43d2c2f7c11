using System.Net.Http.Json;
using Personalization.Actors.Kafka;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;
using Personalization.Node.Hosting;
using Personalization.Node.Local;
using Personalization.Tests.Cluster;
using Personalization.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Personalization.Tests.Engine;

/// <summary>
/// A node process stopped with SIGTERM after what it depends on is already gone — its broker, its database, or its two
/// peers (killed: unreachable, not left) — exits within its shutdown budget (Shutdown:TotalSeconds) on its own — exit
/// code 0, not the budget guard's — and its log says what it gave up on.
/// </summary>
public sealed class NodeShutdownTests(ITestOutputHelper output)
{
    private const string Topic = "listening-events";
    private const int Partitions = 2;
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_node_whose_broker_is_gone_exits_within_its_budget_on_SIGTERM()
    {
        var broker = await LocalBroker.StartAsync(Topic, Partitions, CancellationToken.None);
        LocalNodeProcess? node = null;
        try
        {
            var options = ShortBudget(TestNode.CreateOptions(broker.BootstrapServers, Topic, Partitions, "sqlite", EngineTestContext.SqliteConnectionString()));
            node = await NodeProcess.StartAsync(options);
            await ApplySomeEventsAsync(node, broker.BootstrapServers);

            await broker.DisposeAsync();
            var (elapsed, killed) = await node.TerminateAsync(options.Shutdown.Total + TimeSpan.FromSeconds(15));
            output.WriteLine($"stopped in {elapsed.TotalSeconds:0.0} s (budget {options.Shutdown.TotalSeconds} s)\n{node.Log}");

            AssertExitedOnItsOwnWithinBudget(node, options, elapsed, killed);
            // librdkafka gives up on the dead broker sooner or later, or the drain's budget runs out first: either way, said.
            Assert.Matches("Kafka ingest (drained in|did not finish draining within)", node.Log);
        }
        finally
        {
            if (node is not null) await node.DisposeAsync();
            await broker.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_node_whose_database_is_gone_exits_within_its_budget_on_SIGTERM()
    {
        using var kafka = EmbeddedKafkaBroker.Start(brokers: 1);
        kafka.CreateTopic(Topic, Partitions, 1);
        kafka.CreateTopic(DeadLetterProducer.DeadLetterTopicFor(Topic), 1, 1);
        var postgres = await LocalPostgres.StartAsync();
        LocalNodeProcess? node = null;
        try
        {
            var options = ShortBudget(TestNode.CreateOptions(kafka.BootstrapServers, Topic, Partitions, "postgresql", await postgres.CreateDatabaseAsync("pz_shutdown")));
            options.Sessions.CheckpointIntervalSeconds = 30; // users still hold unsaved state when the database goes
            options.Sessions.CheckpointEveryEvents = 1_000;
            node = await NodeProcess.StartAsync(options);
            await ApplySomeEventsAsync(node, kafka.BootstrapServers);

            await postgres.DisposeAsync();
            var (elapsed, killed) = await node.TerminateAsync(options.Shutdown.Total + TimeSpan.FromSeconds(15));
            output.WriteLine($"stopped in {elapsed.TotalSeconds:0.0} s (budget {options.Shutdown.TotalSeconds} s)\n{node.Log}");

            AssertExitedOnItsOwnWithinBudget(node, options, elapsed, killed);
        }
        finally
        {
            if (node is not null) await node.DisposeAsync();
            await postgres.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_node_whose_two_peers_were_killed_exits_within_its_budget_on_SIGTERM()
    {
        using var kafka = EmbeddedKafkaBroker.Start(brokers: 1);
        kafka.CreateTopic(Topic, LocalClusterHarness.Partitions, 1);
        kafka.CreateTopic(DeadLetterProducer.DeadLetterTopicFor(Topic), 1, 1);
        var postgres = await LocalPostgres.StartAsync();
        try
        {
            // The resolver waits longer than the test needs to signal: the survivor must see its peers unreachable
            // when SIGTERM comes, not have downed itself already (1 of 3 is a minority under keep-majority).
            await using var cluster = LocalClusterHarness.Create(3, kafka.BootstrapServers, Topic, await postgres.CreateDatabaseAsync("pz_peers_gone"), o =>
            {
                ShortBudget(o);
                o.Cluster.StableAfterSeconds = 120;
            });
            await cluster.StartAllAsync();
            var survivor = cluster.Node(0);
            await ApplySomeEventsAsync(survivor, kafka.BootstrapServers);

            await cluster.KillAsync(1);
            await cluster.KillAsync(2);
            await Eventually.AssertAsync(async () =>
            {
                var view = await survivor.Http.GetFromJsonAsync("/admin/cluster", Node.Http.Admin.AdminJsonContext.Default.ClusterStateDto);
                Assert.Equal(3, view!.Members.Count); // unreachable, not left: still members
                Assert.Equal(2, view.Unreachable.Count);
            }, ApplyTimeout, TimeSpan.FromMilliseconds(200));

            var options = cluster.Options(0);
            var (elapsed, killed) = await survivor.TerminateAsync(options.Shutdown.Total + TimeSpan.FromSeconds(15));
            output.WriteLine($"stopped in {elapsed.TotalSeconds:0.0} s (budget {options.Shutdown.TotalSeconds} s)\n{survivor.Log}");

            AssertExitedOnItsOwnWithinBudget(survivor, options, elapsed, killed);
        }
        finally
        {
            await postgres.DisposeAsync();
        }
    }

    /// <summary>A budget a test can wait for, nested as validation requires.</summary>
    private static NodeOptions ShortBudget(NodeOptions options)
    {
        options.Shutdown.DrainTimeoutSeconds = 3;
        options.Shutdown.ServiceUnbindTimeoutSeconds = 9;
        options.Shutdown.ShardHandOffTimeoutSeconds = 5;
        options.Shutdown.TotalSeconds = 25;
        Assert.Null(NodeConfiguration.ValidateShutdown(options.Shutdown));
        return options;
    }

    /// <summary>Users exist and hold state: the shutdown has something to drain and hand off.</summary>
    private static async Task ApplySomeEventsAsync(LocalNodeProcess node, string bootstrapServers)
    {
        var workload = SampleWorkload.Take(10);
        using (var producer = new KafkaEventProducer(bootstrapServers, Topic)) await producer.ProduceManyAsync(workload.Events);
        var user = workload.ItemsByUser.Keys.First();
        await Eventually.AssertAsync(async () =>
        {
            var session = await node.Http.GetFromJsonAsync($"/users/{user}/session", Node.Http.ApiJsonContext.Default.SessionDto);
            Assert.Equal(workload.ItemsByUser[user].Count, session!.EventCount);
        }, ApplyTimeout);
    }

    private static void AssertExitedOnItsOwnWithinBudget(LocalNodeProcess node, NodeOptions options, TimeSpan elapsed, bool killed)
    {
        Assert.False(killed, $"the node was still running {elapsed.TotalSeconds:0.0} s after SIGTERM");
        Assert.True(elapsed < options.Shutdown.Total, $"the node took {elapsed.TotalSeconds:0.0} s, its budget is {options.Shutdown.TotalSeconds} s");
        Assert.True(node.ExitCode == 0, $"exit code {node.ExitCode} ({ShutdownBudget.OverrunExitCode}: the budget's guard ended it)");
        Assert.Matches(@"Node stopped in \d+\.\d s of its \d+ s shutdown budget", node.Log);
    }
}
