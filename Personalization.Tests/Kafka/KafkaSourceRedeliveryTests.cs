using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Personalization.Actors.Events;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Kafka.Source;
using Personalization.Actors.Sessions;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Kafka;

/// <summary>A partition is read again from its oldest unacknowledged record when a user reports a lost event or when acks stall.</summary>
public class KafkaSourceRedeliveryTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit, IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private async Task<string> TopicWithAsync(int count)
    {
        var topic = kafka.NewTopic(partitions: 1);
        using var producer = new KafkaEventProducer(kafka.BootstrapServers, topic);
        await producer.ProduceManyAsync(Enumerable.Range(0, count).Select(i => new ListeningEvent("u", $"item-{i}", EventType.Play, i)));
        return topic;
    }

    [Fact]
    public async Task A_reported_lost_event_makes_the_partition_flow_again_from_the_oldest_unacknowledged_offset()
    {
        var topic = await TopicWithAsync(10);
        var probe = CreateTestProbe();
        var settings = kafka.SourceSettings(topic);
        var control = KafkaEventSource.Create(settings).To(Sink.ActorRef<ConsumedRecord>(probe.Ref, "done", _ => "failed")).Run(Sys.Materializer());
        var first = Enumerable.Range(0, 10).Select(_ => probe.ExpectMsg<ConsumedRecord>(Long)).ToList();
        Assert.All(first, r => Assert.Equal(0, r.Generation));

        control.Ack(0, 0, 1, 2, 5);
        control.AskRedelivery(0);

        var again = Enumerable.Range(0, 7).Select(_ => probe.ExpectMsg<ConsumedRecord>(Long)).ToList();
        Assert.Equal([3L, 4, 5, 6, 7, 8, 9], again.Select(r => r.Offset));
        Assert.All(again, r => Assert.Equal(1, r.Generation));
        control.Ack(0, again.Select(r => r.Offset).ToArray());
        AwaitAssert(() => Assert.Equal(10, KafkaTestKit.Committed(kafka.BootstrapServers, settings.GroupId, topic, 1)[0]), Long, TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Acks_that_stall_past_the_redelivery_timeout_make_the_partition_flow_again()
    {
        var topic = await TopicWithAsync(4);
        var probe = CreateTestProbe();
        var settings = kafka.SourceSettings(topic) with { RedeliveryTimeout = TimeSpan.FromSeconds(1) };
        var control = KafkaEventSource.Create(settings).To(Sink.ActorRef<ConsumedRecord>(probe.Ref, "done", _ => "failed")).Run(Sys.Materializer());
        var first = Enumerable.Range(0, 4).Select(_ => probe.ExpectMsg<ConsumedRecord>(Long)).ToList();
        control.Ack(0, 0);

        var again = Enumerable.Range(0, 3).Select(_ => probe.ExpectMsg<ConsumedRecord>(Long)).ToList();
        Assert.Equal([1L, 2, 3], again.Select(r => r.Offset));
        control.Ack(0, 1, 2, 3);
        probe.ExpectNoMsg(TimeSpan.FromSeconds(2)); // acknowledged: no further rewinds
    }
}
