using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Personalization.Actors.Delivery;
using Personalization.Actors.Events;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Kafka.Source;
using Personalization.Actors.Sessions;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Kafka;

public class KafkaEventSourceTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit, IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private static IEnumerable<ListeningEvent> Events(int count, int users = 100) =>
        Enumerable.Range(0, count).Select(i => new ListeningEvent($"user-{i % users}", $"item-{i}", EventType.Play, 1_700_000_000_000 + i));

    private static async Task ProduceAsync(string bootstrap, string topic, int count)
    {
        using var producer = new KafkaEventProducer(bootstrap, topic);
        Assert.Equal(count, await producer.ProduceManyAsync(Events(count)));
    }

    private void AwaitCommitted(string bootstrap, string group, string topic, IReadOnlyDictionary<int, long> expected) =>
        AwaitAssert(() => Assert.Equal(expected.OrderBy(e => e.Key), KafkaTestKit.Committed(bootstrap, group, topic, expected.Count).OrderBy(e => e.Key)),
            Long, TimeSpan.FromMilliseconds(200));

    [Fact]
    public async Task A_control_created_before_the_source_runs_serves_the_stages_after_it_in_one_fused_graph()
    {
        var topic = kafka.NewTopic(2);
        await ProduceAsync(kafka.BootstrapServers, topic, 200);
        var settings = kafka.SourceSettings(topic);
        var control = new KafkaSourceControl();
        var seen = new ConcurrentDictionary<(int, long), int>();

        var source = KafkaEventSource.Create(settings, control);
        source
            .To(Sink.ForEach<ConsumedRecord>(r =>
            {
                // The control is attached before the first record is emitted: stages built with it can ack at once.
                Assert.NotEqual(ActorRefs.Nobody, control.AckTarget);
                seen.AddOrUpdate((r.Partition, r.Offset), 1, (_, n) => n + 1);
                control.Ack(r);
            }))
            .Run(Sys.Materializer());

        AwaitAssert(() => Assert.Equal(200, seen.Count), Long);
        AwaitCommitted(kafka.BootstrapServers, settings.GroupId, topic, KafkaTestKit.EndOffsets(kafka.BootstrapServers, topic, 2));
        var again = Assert.Throws<InvalidOperationException>(() => source.To(Sink.Ignore<ConsumedRecord>()).Run(Sys.Materializer()));
        Assert.Contains("materialized already", again.Message);
        await control.DrainAndShutdownAsync(TimeSpan.FromSeconds(5)).WaitAsync(Long);
    }

    [Fact]
    public async Task Delivers_every_record_of_every_partition_once_and_commits_them_all_when_acked()
    {
        const int partitions = 6, count = 6000;
        var topic = kafka.NewTopic(partitions);
        await ProduceAsync(kafka.BootstrapServers, topic, count);
        var settings = kafka.SourceSettings(topic);
        var seen = new ConcurrentDictionary<(int, long), int>();

        var (control, records) = KafkaEventSource.Create(settings).PreMaterialize(Sys.Materializer());
        records
            .To(Sink.ForEach<ConsumedRecord>(r =>
            {
                seen.AddOrUpdate((r.Partition, r.Offset), 1, (_, n) => n + 1);
                control.Ack(r);
                control.Ack(99, r.Offset); // acks for partitions we do not own are ignored
            }))
            .Run(Sys.Materializer());

        AwaitAssert(() => Assert.Equal(count, seen.Count), Long);
        Assert.All(seen.Values, n => Assert.Equal(1, n));
        AwaitCommitted(kafka.BootstrapServers, settings.GroupId, topic, KafkaTestKit.EndOffsets(kafka.BootstrapServers, topic, partitions));
        Assert.Equal(Enumerable.Range(0, partitions), control.AssignedPartitions.Order());
        await control.DrainAndShutdownAsync(TimeSpan.FromSeconds(5)).WaitAsync(Long);
        Assert.Empty(control.AssignedPartitions);
    }

    [Fact]
    public async Task Commits_stop_at_a_withheld_ack_and_a_restarted_member_resumes_there()
    {
        var topic = kafka.NewTopic(partitions: 1);
        await ProduceAsync(kafka.BootstrapServers, topic, 10);
        var settings = kafka.SourceSettings(topic);
        var probe = CreateTestProbe();

        var control = KafkaEventSource.Create(settings).To(Sink.ActorRef<ConsumedRecord>(probe.Ref, "done", _ => "failed")).Run(Sys.Materializer());
        var records = Enumerable.Range(0, 10).Select(_ => probe.ExpectMsg<ConsumedRecord>(Long)).ToList();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), records.Select(r => r.Offset));

        // Everything but offset 4 is durable, acknowledged out of order.
        var ackTo = control.AckTarget;
        ackTo.Tell(new EventsDurable(0, [9, 7, 8, 5, 6]));
        ackTo.Tell(new EventsDurable(0, [2, 0, 3, 1]));
        AwaitCommitted(kafka.BootstrapServers, settings.GroupId, topic, new Dictionary<int, long> { [0] = 4 });
        await control.DrainAndShutdownAsync(TimeSpan.FromMilliseconds(300)).WaitAsync(Long); // 4 never comes
        probe.ExpectMsg("done", Long);
        Assert.Equal(4, KafkaTestKit.Committed(kafka.BootstrapServers, settings.GroupId, topic, 1)[0]);

        // A new member of the same group starts at the withheld offset.
        var restarted = KafkaEventSource.Create(settings).To(Sink.ActorRef<ConsumedRecord>(probe.Ref, "done", _ => "failed")).Run(Sys.Materializer());
        var redelivered = probe.ExpectMsg<ConsumedRecord>(Long);
        Assert.Equal(4, redelivered.Offset);
        await restarted.ShutdownAsync().WaitAsync(Long);
    }

    [Fact]
    public async Task Stops_emitting_a_partition_at_its_in_flight_bound_pauses_it_and_resumes_below_half()
    {
        const int count = 1500, bound = 100;
        var topic = kafka.NewTopic(partitions: 1);
        await ProduceAsync(kafka.BootstrapServers, topic, count);
        var settings = kafka.SourceSettings(topic) with { MaxInFlightPerPartition = bound, MaxBufferedRecords = 300, MaxFetchBatch = 100 };
        var probe = CreateTestProbe();

        var control = KafkaEventSource.Create(settings).To(Sink.ActorRef<ConsumedRecord>(probe.Ref, "done", _ => "failed")).Run(Sys.Materializer());
        var unacked = new List<ConsumedRecord>();
        long expectedOffset = 0;
        var pausesSeen = 0;
        while (expectedOffset < count)
        {
            var record = probe.ExpectMsg<ConsumedRecord>(Long);
            Assert.Equal(expectedOffset++, record.Offset); // in order, each once
            unacked.Add(record);
            Assert.True(unacked.Count <= bound, $"{unacked.Count} records in flight, bound {bound}");
            if (unacked.Count == bound)
            {
                // At the bound nothing more comes until acks arrive; the partition is paused meanwhile.
                AwaitAssert(() => Assert.Equal(1, PausedGauge(settings)), Long);
                pausesSeen++;
                var ack = unacked.Take(bound / 2 + 1).ToList(); // below half → resume
                unacked.RemoveRange(0, ack.Count);
                control.Ack(0, ack.Select(r => r.Offset).ToArray());
            }
        }

        Assert.True(pausesSeen >= count / bound - 1);
        control.Ack(0, unacked.Select(r => r.Offset).ToArray());
        AwaitCommitted(kafka.BootstrapServers, settings.GroupId, topic, new Dictionary<int, long> { [0] = count });
        AwaitAssert(() => Assert.Equal(0, PausedGauge(settings)), Long);
        await control.ShutdownAsync().WaitAsync(Long);
    }

    private static double PausedGauge(KafkaSourceSettings settings) =>
        MetricsProbe.Gauge("personalization_kafka_paused_partitions", settings.Topic, settings.GroupId);

    [Fact]
    public async Task Drain_waits_for_in_flight_acks_commits_them_and_completes_the_stream()
    {
        const int partitions = 2, count = 200;
        var topic = kafka.NewTopic(partitions);
        await ProduceAsync(kafka.BootstrapServers, topic, count);
        var settings = kafka.SourceSettings(topic);
        var probe = CreateTestProbe();

        var (control, done) = KafkaEventSource.Create(settings)
            .Select(r =>
            {
                probe.Ref.Tell(r);
                return r;
            })
            .ToMaterialized(Sink.Ignore<ConsumedRecord>(), Keep.Both)
            .Run(Sys.Materializer());
        var records = Enumerable.Range(0, count).Select(_ => probe.ExpectMsg<ConsumedRecord>(Long)).ToList();

        var drained = control.DrainAndShutdownAsync(TimeSpan.FromSeconds(20));
        await Task.Delay(100); // the drain is waiting for acks, not finishing early
        Assert.False(drained.IsCompleted);
        foreach (var group in records.GroupBy(r => r.Partition))
            control.Ack(group.Key, group.Select(r => r.Offset).ToArray());

        await drained.WaitAsync(Long);
        await done.WaitAsync(Long);
        Assert.Equal(KafkaTestKit.EndOffsets(kafka.BootstrapServers, topic, partitions).OrderBy(e => e.Key),
            KafkaTestKit.Committed(kafka.BootstrapServers, settings.GroupId, topic, partitions).OrderBy(e => e.Key));
    }

    [Fact]
    public async Task Nothing_is_lost_when_every_broker_goes_down_and_comes_back_during_consumption()
    {
        using var broker = EmbeddedKafkaBroker.Start(brokers: 3);
        const int partitions = 4, count = 4000;
        var topic = KafkaTestKit.NewTopic(broker, partitions, replicationFactor: 3);
        await ProduceAsync(broker.BootstrapServers, topic, count / 2);
        var settings = KafkaTestKit.SourceSettings(broker, topic);
        var seen = new ConcurrentDictionary<(int, long), byte>();

        var (control, records) = KafkaEventSource.Create(settings).PreMaterialize(Sys.Materializer());
        records
            .To(Sink.ForEach<ConsumedRecord>(r =>
            {
                seen.TryAdd((r.Partition, r.Offset), 0);
                control.Ack(r);
            }))
            .Run(Sys.Materializer());
        AwaitAssert(() => Assert.True(seen.Count > 0), Long);

        broker.SetBrokerDown(-1);
        var laterHalf = ProduceAsync(broker.BootstrapServers, topic, count / 2); // the producer retries meanwhile
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the outage itself, not a synchronization
        broker.SetBrokerUp(-1);
        await laterHalf.WaitAsync(Long);

        AwaitAssert(() => Assert.Equal(count, seen.Count), Long, TimeSpan.FromMilliseconds(100));
        AwaitCommitted(broker.BootstrapServers, settings.GroupId, topic, KafkaTestKit.EndOffsets(broker.BootstrapServers, topic, partitions));
        await control.DrainAndShutdownAsync(TimeSpan.FromSeconds(5)).WaitAsync(Long);
    }

    [Fact]
    public async Task A_second_member_takes_partitions_over_with_revoke_and_assign_events_and_nothing_is_lost()
    {
        const int partitions = 4, count = 2000;
        var topic = kafka.NewTopic(partitions);
        var settings = kafka.SourceSettings(topic);
        var seen = new ConcurrentDictionary<(int, long), byte>();
        var first = new RecordingListener();
        var second = new RecordingListener();
        IKafkaSourceControl Consume(KafkaSourceSettings memberSettings, RecordingListener listener)
        {
            var (control, records) = KafkaEventSource.Create(memberSettings, listener).PreMaterialize(Sys.Materializer());
            records.To(Sink.ForEach<ConsumedRecord>(r =>
            {
                seen.TryAdd((r.Partition, r.Offset), 0);
                control.Ack(r);
            })).Run(Sys.Materializer());
            return control;
        }

        var one = Consume(settings, first);
        AwaitAssert(() => Assert.Equal(partitions, one.AssignedPartitions.Count), Long);
        await ProduceAsync(kafka.BootstrapServers, topic, count / 2);
        AwaitAssert(() => Assert.Equal(count / 2, seen.Count), Long);

        var two = Consume(settings with { ClientId = settings.ClientId + "-2" }, second);
        AwaitAssert(() =>
        {
            Assert.NotEmpty(two.AssignedPartitions);
            Assert.Equal(partitions, one.AssignedPartitions.Count + two.AssignedPartitions.Count);
        }, Long, TimeSpan.FromMilliseconds(100));
        Assert.Contains(first.Events, e => e.StartsWith("revoked", StringComparison.Ordinal));
        Assert.Contains(second.Events, e => e.StartsWith("assigned", StringComparison.Ordinal));

        await ProduceAsync(kafka.BootstrapServers, topic, count / 2);
        AwaitAssert(() => Assert.Equal(count, seen.Count), Long);
        AwaitCommitted(kafka.BootstrapServers, settings.GroupId, topic, KafkaTestKit.EndOffsets(kafka.BootstrapServers, topic, partitions));
        await Task.WhenAll(one.DrainAndShutdownAsync(TimeSpan.FromSeconds(5)), two.DrainAndShutdownAsync(TimeSpan.FromSeconds(5))).WaitAsync(Long);
    }

    [Fact]
    public async Task Control_calls_after_the_stream_ended_return_at_once()
    {
        var topic = kafka.NewTopic(partitions: 1);
        await ProduceAsync(kafka.BootstrapServers, topic, 3);
        var (control, first) = KafkaEventSource.Create(kafka.SourceSettings(topic))
            .Take(1)
            .ToMaterialized(Sink.First<ConsumedRecord>(), Keep.Both)
            .Run(Sys.Materializer());
        Assert.Equal(0, (await first.WaitAsync(Long)).Offset);
        await control.Completion.WaitAsync(Long); // downstream finished → consumer closed
        await control.DrainAndShutdownAsync(TimeSpan.FromSeconds(1)).WaitAsync(Long);
        await control.ShutdownAsync().WaitAsync(Long);
    }

    private sealed class RecordingListener : IPartitionAssignmentListener
    {
        public ConcurrentQueue<string> Events { get; } = new();

        public void OnAssigned(IReadOnlyList<int> partitions) => Events.Enqueue($"assigned {string.Join(",", partitions)}");

        public void OnRevoked(IReadOnlyList<int> partitions, bool lost) => Events.Enqueue($"{(lost ? "lost" : "revoked")} {string.Join(",", partitions)}");
    }
}
