using System.Text;
using Akka.Actor;
using Akka.TestKit;
using Confluent.Kafka;
using Personalization.Actors.Delivery;
using Personalization.Actors.Events;
using Personalization.Actors.Ingest;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Kafka.Source;
using Personalization.Actors.Routing;
using Personalization.Actors.Sessions;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Kafka;

public class IngestPipelineTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit, IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private static byte[] Json(string user, string item) =>
        ListeningEventJson.Serialize(new ListeningEvent(user, item, EventType.Play, 1_700_000_000_000));

    private ApplyEvent ExpectApplyAndAck(TestProbe shards)
    {
        var apply = shards.ExpectMsg<ApplyEvent>(Long);
        apply.Delivery.AckTo!.Tell(new EventsDurable(apply.Partition, [apply.Offset]));
        return apply;
    }

    [Fact]
    public async Task Each_event_names_its_users_previous_unacknowledged_event_and_dead_letters_are_nobodys_predecessor()
    {
        var topic = kafka.NewTopic(partitions: 1);
        var u = Encoding.UTF8.GetBytes("u1");
        var v = Encoding.UTF8.GetBytes("v1");
        await KafkaTestKit.ProduceRawAsync(kafka.BootstrapServers, topic,
        [
            (u, Json("u1", "a"), 0),                      // 0
            (v, Json("v1", "b"), 0),                      // 1
            (u, "not json"u8.ToArray(), 0),               // 2 dead-lettered
            (u, Json("u1", "c"), 0),                      // 3
            (u, Json("u1", "d"), 0),                      // 4
        ]);
        var shards = CreateTestProbe();
        using var deadLetters = new DeadLetterProducer(kafka.BootstrapServers);

        IngestPipeline.Start(Sys, kafka.SourceSettings(topic), shards.Ref, deadLetters, partitionCount: 1);
        var applied = Enumerable.Range(0, 4).Select(_ => shards.ExpectMsg<ApplyEvent>(Long)).ToDictionary(a => a.Offset, a => a.Delivery.PreviousOffset);

        Assert.Equal(new Dictionary<long, long> { [0] = -1, [1] = -1, [3] = 0, [4] = 3 }, applied);
    }

    [Fact]
    public async Task Poison_records_go_to_the_DLQ_with_their_reason_and_bytes_and_the_stream_goes_on()
    {
        var topic = kafka.NewTopic(partitions: 1);
        var u = Encoding.UTF8.GetBytes("u1");
        var malformed = "{\"user\":\"u1\",\"item\":"u8.ToArray();
        var unknownType = "{\"user\":\"u1\",\"item\":\"i\",\"type\":\"dance\"}"u8.ToArray();
        await KafkaTestKit.ProduceRawAsync(kafka.BootstrapServers, topic,
        [
            (u, Json("u1", "a"), 0),                    // 0 valid
            (u, malformed, 0),                          // 1 malformed JSON
            (u, Json("u1", "b"), 0),                    // 2 valid
            ("someone-else"u8.ToArray(), Json("u1", "x"), 0), // 3 key ≠ user
            (u, null, 0),                               // 4 tombstone
            (u, unknownType, 0),                        // 5 unknown type
            (null, Json("u1", "c"), 0),                 // 6 valid, no key
        ]);
        var settings = kafka.SourceSettings(topic);
        var shards = CreateTestProbe();
        using var deadLetters = new DeadLetterProducer(kafka.BootstrapServers);

        var ingest = IngestPipeline.Start(Sys, settings, shards.Ref, deadLetters, partitionCount: 1);
        Assert.Equal(["a", "b", "c"], new[] { ExpectApplyAndAck(shards), ExpectApplyAndAck(shards), ExpectApplyAndAck(shards) }.Select(a => a.ItemId));

        var dlq = KafkaTestKit.ReadAll(kafka.BootstrapServers, DeadLetterProducer.DeadLetterTopicFor(topic), 1, expected: 4)
            .ToDictionary(r => long.Parse(Header(r, DeadLetterProducer.OffsetHeader)));
        Assert.Equal([1L, 3, 4, 5], dlq.Keys.Order());
        Assert.Equal(malformed, dlq[1].Message.Value);
        Assert.Equal(u, dlq[1].Message.Key);
        Assert.StartsWith("malformed JSON", Header(dlq[1], DeadLetterProducer.ReasonHeader));
        Assert.Contains("does not match", Header(dlq[3], DeadLetterProducer.ReasonHeader));
        Assert.Equal("someone-else"u8.ToArray(), dlq[3].Message.Key);
        Assert.Null(dlq[4].Message.Value);
        Assert.StartsWith("tombstone", Header(dlq[4], DeadLetterProducer.ReasonHeader));
        Assert.Contains("unknown \"type\" \"dance\"", Header(dlq[5], DeadLetterProducer.ReasonHeader));
        Assert.All(dlq.Values, r =>
        {
            Assert.Equal(topic, Header(r, DeadLetterProducer.TopicHeader));
            Assert.Equal("0", Header(r, DeadLetterProducer.PartitionHeader));
            Assert.True(DateTimeOffset.TryParse(Header(r, DeadLetterProducer.TimeHeader), out _));
        });

        // Every offset, poison ones included, is committed once DLQ writes and user acks are in.
        AwaitAssert(() => Assert.Equal(7, KafkaTestKit.Committed(kafka.BootstrapServers, settings.GroupId, topic, 1)[0]), Long, TimeSpan.FromMilliseconds(200));
        Assert.Equal(4, IngestRecordHandler.DeadLetteredCount(topic));
        await ingest.DrainAndShutdownAsync(TimeSpan.FromSeconds(5)).WaitAsync(Long);
        await ingest.StreamCompletion.WaitAsync(Long);
    }

    [Fact]
    public async Task Records_in_a_foreign_partition_are_counted_as_misrouted_and_still_delivered_to_their_user()
    {
        const int partitions = 4;
        var topic = kafka.NewTopic(partitions);
        const string user = "user-42";
        var home = KafkaPartitioner.PartitionFor(user, partitions);
        var foreign = (home + 1) % partitions;
        await KafkaTestKit.ProduceRawAsync(kafka.BootstrapServers, topic,
        [
            (Encoding.UTF8.GetBytes(user), Json(user, "home"), home),
            (Encoding.UTF8.GetBytes(user), Json(user, "foreign"), foreign),
        ]);
        var shards = CreateTestProbe();
        using var deadLetters = new DeadLetterProducer(kafka.BootstrapServers);

        var ingest = IngestPipeline.Start(Sys, kafka.SourceSettings(topic), shards.Ref, deadLetters, partitions);
        var applied = new[] { ExpectApplyAndAck(shards), ExpectApplyAndAck(shards) }.ToDictionary(a => a.ItemId);
        Assert.Equal(home, applied["home"].Partition);
        Assert.Equal(foreign, applied["foreign"].Partition);
        Assert.All(applied.Values, a => Assert.Equal(user, a.UserId));
        Assert.Equal(1, IngestRecordHandler.MisroutedCount(topic));
        await ingest.ShutdownAsync().WaitAsync(Long);
    }

    private static string Header(ConsumeResult<byte[]?, byte[]?> record, string name) =>
        Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes(name));
}
