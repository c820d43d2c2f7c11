using System.Net.Http.Json;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Telemetry;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Engine;

/// <summary>
/// Invariants 1 and 2 on both checkpoint stores: redelivery is a no-op, and a node restarted (gracefully or by
/// SIGKILL) in the middle of a stream ends with every user in exactly the state of an uninterrupted run.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RecoveryTests(PostgresFixture postgres, EngineTestContext context) : IClassFixture<EngineTestContext>
{
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(90);

    public static TheoryData<string> Stores => new() { "sqlite", "postgresql" };

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Redelivering_every_offset_changes_nothing(string store)
    {
        var workload = SampleWorkload.Take(60);
        var topic = context.CreateTopic(partitions: 3);
        var options = TestNode.CreateOptions(context.Broker.BootstrapServers, topic, 3, store, await ConnectionStringAsync(store));
        using (var producer = new KafkaEventProducer(context.Broker.BootstrapServers, topic)) await producer.ProduceManyAsync(workload.Events);
        await using (var first = await TestNode.StartAsync(options))
        {
            await EngineAssertions.WaitUntilAllAppliedAsync(first.Http, workload, ApplyTimeout);
            await first.StopAsync();
        }

        // Another consumer group starts from the beginning: every record arrives a second time, at the same offsets.
        options.Kafka.GroupId += "-replay";
        var duplicatesBefore = EngineMetrics.DuplicatesSkipped.Value;
        await using var second = await TestNode.StartAsync(options);
        await WaitForCounterAsync(EngineMetrics.DuplicatesSkipped, duplicatesBefore + workload.Events.Count);

        await EngineAssertions.AssertMatchesOfflineReplayAsync(second.Http, workload, context.Offline);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_node_restarted_mid_stream_applies_every_event_exactly_once(string store)
    {
        var workload = SampleWorkload.Take(100);
        var topic = context.CreateTopic(partitions: 4);
        var options = TestNode.CreateOptions(context.Broker.BootstrapServers, topic, 4, store, await ConnectionStringAsync(store));
        using var producer = new KafkaEventProducer(context.Broker.BootstrapServers, topic);
        var appliedBefore = EngineMetrics.EventsApplied.Value;

        var produce = ProduceSlowlyAsync(producer, workload);
        await using (var first = await TestNode.StartAsync(options))
        {
            await WaitForCounterAsync(EngineMetrics.EventsApplied, appliedBefore + workload.Events.Count / 3);
            await first.StopAsync();
        }

        await using var second = await TestNode.StartAsync(options);
        await produce;
        await EngineAssertions.WaitUntilAllAppliedAsync(second.Http, workload, ApplyTimeout);
        await EngineAssertions.AssertMatchesOfflineReplayAsync(second.Http, workload, context.Offline);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_node_killed_mid_stream_recovers_from_checkpoints_and_Kafka_replay(string store)
    {
        var workload = SampleWorkload.Take(100);
        var topic = context.CreateTopic(partitions: 4);
        var options = TestNode.CreateOptions(context.Broker.BootstrapServers, topic, 4, store, await ConnectionStringAsync(store));
        options.Sessions.CheckpointIntervalSeconds = 1; // a wider window of applied-but-not-durable events to lose
        using var producer = new KafkaEventProducer(context.Broker.BootstrapServers, topic);

        var produce = ProduceSlowlyAsync(producer, workload);
        await using (var first = await NodeProcess.StartAsync(options))
        {
            await Eventually.AssertAsync(
                async () =>
                {
                    var applied = 0L;
                    foreach (var user in workload.ItemsByUser.Keys.Take(20))
                        applied += (await first.Http.GetFromJsonAsync($"/users/{user}/session", Node.Http.ApiJsonContext.Default.SessionDto))!.EventCount;
                    Assert.True(applied > 0);
                },
                ApplyTimeout);
            await first.KillAsync();
        }

        options.Http.Port = 0;
        await using var second = await NodeProcess.StartAsync(options);
        await produce;
        await EngineAssertions.WaitUntilAllAppliedAsync(second.Http, workload, ApplyTimeout);
        await EngineAssertions.AssertMatchesOfflineReplayAsync(second.Http, workload, context.Offline);
    }

    /// <summary>In-process nodes share the process's counters; the tests of this collection run one at a time.</summary>
    private static Task WaitForCounterAsync(Prometheus.Counter counter, double atLeast) =>
        Eventually.AssertAsync(
            () =>
            {
                Assert.True(counter.Value >= atLeast, $"{counter.Name} = {counter.Value}, waiting for {atLeast}");
                return Task.CompletedTask;
            },
            ApplyTimeout);

    private async Task<string> ConnectionStringAsync(string store) => store == "sqlite"
        ? EngineTestContext.SqliteConnectionString()
        : await postgres.Server.CreateDatabaseAsync("pz_" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>The workload in small batches over a few seconds, so restarts land in the middle of it.</summary>
    private static async Task ProduceSlowlyAsync(KafkaEventProducer producer, SampleWorkload workload)
    {
        foreach (var chunk in workload.Events.Chunk(Math.Max(1, workload.Events.Count / 40)))
        {
            await producer.ProduceManyAsync(chunk);
            await Task.Delay(100);
        }
    }
}
