using System.Diagnostics;
using Confluent.Kafka;
using Personalization.Actors.Kafka.Broker;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Faults;

/// <summary>
/// Faults 3 and 4 of issue 11, on the broker side: every broker gone for a while, injected request errors, and
/// partition leaders moving — all during ingest. The node (in this process, next to the mock cluster) rides them out.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class BrokerFaultTests(FaultContext context)
{
    private const int Partitions = 4;

    [Fact]
    public async Task Every_broker_down_for_an_outage_and_back_loses_nothing_and_applies_nothing_twice()
    {
        using var broker = EmbeddedKafkaBroker.Start(brokers: 1);
        using var stream = FaultStream.Create(broker, Partitions);
        var options = TestNode.CreateOptions(broker.BootstrapServers, stream.Topic, Partitions, "sqlite", FaultContext.SqliteConnectionString());
        await using var node = await TestNode.StartAsync(options);
        var produce = stream.ProduceAsync();
        var outage = TimeSpan.FromSeconds(FaultSettings.OutageSeconds);

        for (var round = 0; round < FaultSettings.Repeat; round++)
        {
            await FaultProbe.WaitUntilAppliedAsync(node.Http, stream, stream.Workload.Events.Count * (round + 1) / (FaultSettings.Repeat + 2));
            broker.SetBrokerDown(-1);
            await Task.Delay(outage); // the fault's own duration
            broker.SetBrokerUp(-1);
        }

        var sinceFaultEnd = Stopwatch.StartNew();
        await produce;
        await FaultVerdict.AssertRecoveredAsync($"all brokers down {outage.TotalSeconds:0} s (x{FaultSettings.Repeat})", "sqlite", stream, node.Http,
            options.Kafka.GroupId, context.Offline, sinceFaultEnd, outage.TotalSeconds * FaultSettings.Repeat);
    }

    [Fact]
    public async Task Request_errors_on_produce_fetch_commit_and_group_requests_lose_nothing_and_apply_nothing_twice()
    {
        using var broker = EmbeddedKafkaBroker.Start(brokers: 3);
        using var stream = FaultStream.Create(broker, Partitions, replicationFactor: 3);
        var options = TestNode.CreateOptions(broker.BootstrapServers, stream.Topic, Partitions, "sqlite", FaultContext.SqliteConnectionString());
        await using var node = await TestNode.StartAsync(options);
        var produce = stream.ProduceAsync();
        var faultTime = Stopwatch.StartNew();

        await FaultProbe.WaitUntilAppliedAsync(node.Http, stream, stream.Workload.Events.Count / 4);
        faultTime.Restart();
        var injected = 0;
        for (var burst = 0; burst < 3 * FaultSettings.Repeat; burst++)
        {
            // Retriable errors, as a broker under a rolling restart answers them; each burst hits whatever asks next.
            broker.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.NotLeaderForPartition, ErrorCode.RequestTimedOut, ErrorCode.NotEnoughReplicas);
            broker.PushRequestErrors(KafkaApiKey.Fetch, ErrorCode.NotLeaderForPartition, ErrorCode.UnknownTopicOrPart, ErrorCode.RequestTimedOut);
            broker.PushRequestErrors(KafkaApiKey.OffsetCommit, ErrorCode.NotCoordinatorForGroup, ErrorCode.RequestTimedOut, ErrorCode.GroupLoadInProgress);
            broker.PushRequestErrors(KafkaApiKey.Heartbeat, ErrorCode.RebalanceInProgress);
            broker.PushRequestErrors(KafkaApiKey.JoinGroup, ErrorCode.GroupLoadInProgress, ErrorCode.NotCoordinatorForGroup);
            broker.PushRequestErrors(KafkaApiKey.SyncGroup, ErrorCode.RebalanceInProgress);
            injected += 15;
            await Task.Delay(TimeSpan.FromSeconds(FaultSettings.OutageSeconds / 3)); // spreads the bursts over the outage
        }

        var faultSeconds = faultTime.Elapsed.TotalSeconds;
        var sinceFaultEnd = Stopwatch.StartNew();
        await produce;
        await FaultVerdict.AssertRecoveredAsync("request errors (Produce/Fetch/OffsetCommit/Heartbeat/JoinGroup/SyncGroup)", "sqlite", stream, node.Http,
            options.Kafka.GroupId, context.Offline, sinceFaultEnd, faultSeconds, $"{injected} errors queued, 3 brokers");
    }

    [Fact]
    public async Task Partition_leaders_moving_between_three_brokers_during_ingest_lose_nothing_and_apply_nothing_twice()
    {
        using var broker = EmbeddedKafkaBroker.Start(brokers: 3);
        using var stream = FaultStream.Create(broker, Partitions, replicationFactor: 3);
        var options = TestNode.CreateOptions(broker.BootstrapServers, stream.Topic, Partitions, "sqlite", FaultContext.SqliteConnectionString());
        await using var node = await TestNode.StartAsync(options);
        var produce = stream.ProduceAsync();

        await FaultProbe.WaitUntilAppliedAsync(node.Http, stream, stream.Workload.Events.Count / 4);
        var faultTime = Stopwatch.StartNew();
        var moves = 0;
        while (faultTime.Elapsed.TotalSeconds < FaultSettings.OutageSeconds * FaultSettings.Repeat)
        {
            for (var p = 0; p < Partitions; p++)
            {
                broker.SetPartitionLeader(stream.Topic, p, 1 + (moves + p) % broker.BrokerCount);
                broker.SetPartitionLeader(stream.DeadLetterTopic, p, 1 + (moves + p + 1) % broker.BrokerCount);
            }

            moves++;
            await Task.Delay(TimeSpan.FromSeconds(1)); // one leader move per second is the fault
        }

        var faultSeconds = faultTime.Elapsed.TotalSeconds;
        var sinceFaultEnd = Stopwatch.StartNew();
        await produce;
        await FaultVerdict.AssertRecoveredAsync("partition leader changes", "sqlite", stream, node.Http,
            options.Kafka.GroupId, context.Offline, sinceFaultEnd, faultSeconds, $"{moves} rounds of leader moves over 3 brokers");
    }
}
