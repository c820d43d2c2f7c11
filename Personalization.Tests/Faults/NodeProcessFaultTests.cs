using System.Diagnostics;
using System.Globalization;
using Personalization.Actors.Kafka.Broker;
using Personalization.Node.Local;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Faults;

/// <summary>
/// Faults 1 and 2 of issue 11 on a node process: SIGKILL in the middle of a batch (no drain, no last checkpoint) and
/// SIGTERM under load (the drain). The restarted node resumes from the checkpoints and the committed offsets.
/// Extends <c>Engine/RecoveryTests</c> (which pins the invariant) with poison records, repetition and the numbers.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class NodeProcessFaultTests(FaultContext context) : IDisposable
{
    private const int Partitions = 4;
    private readonly EmbeddedKafkaBroker _broker = EmbeddedKafkaBroker.Start(brokers: 1);

    public static TheoryData<string> Stores => new() { "sqlite", "postgresql" };

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_node_killed_mid_batch_restarts_and_every_user_ends_exactly_as_the_offline_replay(string store)
    {
        using var stream = FaultStream.Create(_broker, Partitions);
        var options = TestNode.CreateOptions(_broker.BootstrapServers, stream.Topic, Partitions, store, await context.ConnectionStringAsync(store));
        options.Sessions.CheckpointIntervalSeconds = 1; // a wider window of applied-but-not-durable events for the kill to lose
        var produce = stream.ProduceAsync();
        var sinceFaultEnd = new Stopwatch();
        var killed = 0;
        LocalNodeProcess? node = null;
        try
        {
            node = await NodeProcess.StartAsync(options);
            for (var round = 0; round < FaultSettings.Repeat; round++)
            {
                // Kill while events are being applied: some applied since the last checkpoint, more on the way.
                var target = stream.Workload.Events.Count * (round + 1) / (FaultSettings.Repeat + 2);
                await FaultProbe.WaitUntilAppliedAsync(node.Http, stream, target);
                await node.KillAsync();
                killed++;
                await node.DisposeAsync();
                node = null;
                options.Http.Port = 0;
                node = await NodeProcess.StartAsync(options);
            }

            sinceFaultEnd.Start();
            await produce;
            await FaultVerdict.AssertRecoveredAsync($"kill -9 mid-batch (x{killed})", store, stream, node.Http, options.Kafka.GroupId,
                context.Offline, sinceFaultEnd, faultSeconds: 0);
        }
        finally
        {
            if (node is not null) await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_node_stopped_by_SIGTERM_under_load_is_replayed_no_more_than_its_in_flight_bound()
    {
        const int maxInFlight = 25;
        using var stream = FaultStream.Create(_broker, Partitions);
        var options = TestNode.CreateOptions(_broker.BootstrapServers, stream.Topic, Partitions, "sqlite", FaultContext.SqliteConnectionString());
        options.Kafka.MaxInFlightPerPartition = maxInFlight;
        var bound = maxInFlight * Partitions;
        Assert.True(stream.Workload.Events.Count > 3 * bound, "the stream must be larger than the bound for the bound to mean something");
        var produce = stream.ProduceAsync();
        var sinceFaultEnd = new Stopwatch();
        var drain = Stopwatch.StartNew();
        LocalNodeProcess? node = null;
        try
        {
            node = await NodeProcess.StartAsync(options);
            await FaultProbe.WaitUntilAppliedAsync(node.Http, stream, stream.Workload.Events.Count / 3);
            drain.Restart();
            await node.StopAsync(TimeSpan.FromSeconds(60));
            var stopSeconds = drain.Elapsed.TotalSeconds;
            await node.DisposeAsync();
            node = null;
            options.Http.Port = 0;
            node = await NodeProcess.StartAsync(options);
            sinceFaultEnd.Start();
            await produce;
            double redelivered = 0;
            await FaultVerdict.AssertRecoveredAsync("SIGTERM under load", "sqlite", stream, node.Http, options.Kafka.GroupId,
                context.Offline, sinceFaultEnd, faultSeconds: stopSeconds,
                describe: async () =>
                {
                    redelivered = await CounterAsync(node.Http, "personalization_events_duplicate_total");
                    return $"re-delivered after restart: {redelivered} (in-flight bound {bound}); drain {stopSeconds:0.0} s";
                });

            // Everything durable was committed by the drain: what the new node reads again is at most what was in flight.
            Assert.True(redelivered <= bound, $"{redelivered} events re-delivered after SIGTERM, more than the in-flight bound {bound}");
        }
        finally
        {
            if (node is not null) await node.DisposeAsync();
        }
    }

    public void Dispose() => _broker.Dispose();

    /// <summary>A counter of the node's /metrics (prometheus text format; 0 when it has no sample yet).</summary>
    private static async Task<double> CounterAsync(HttpClient http, string name)
    {
        var text = await http.GetStringAsync("/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
