using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Personalization.Actors.Filters;
using Personalization.Actors.Kafka.Availability;
using Personalization.Actors.Kafka.Producers;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Filters;

/// <summary>The availability reader on its own, against the embedded broker: the start-up read, a missing topic, an unreachable broker.</summary>
public sealed class ItemAvailabilityReaderTests(EmbeddedKafkaFixture kafka) : IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(30);

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static (byte[]?, byte[]?, int?) Withdrawal(string item) => (Bytes(item), Bytes($$"""{"item":"{{item}}","available":false,"reason":"licensing"}"""), null);

    private ItemAvailabilityReader Reader(string topic, ItemAvailability availability, DeadLetterProducer? deadLetters = null, string? bootstrap = null) =>
        new(new ItemAvailabilityReaderSettings
        {
            BootstrapServers = bootstrap ?? kafka.BootstrapServers,
            Topic = topic,
            MetadataInterval = TimeSpan.FromMilliseconds(200),
        }, availability, deadLetters, NullLogger.Instance);

    [Fact]
    public async Task Once_caught_up_the_snapshot_holds_every_withdrawal_already_in_the_topic_and_bad_records_are_not_dead_lettered_again()
    {
        var topic = kafka.NewTopic(3, "availability");
        var records = Enumerable.Range(0, 300).Select(i => Withdrawal($"item-{i}")).ToList();
        records.AddRange(Enumerable.Range(0, 100).Select(i => ((byte[]?)Bytes($"item-{i}"), (byte[]?)null, (int?)null))); // tombstones: available again
        records.Add((Bytes("bad"), Bytes("not json"), null));
        await KafkaTestKit.ProduceRawAsync(kafka.BootstrapServers, topic, records);
        var availability = new ItemAvailability();
        var deadLetters = new DeadLetterProducer(kafka.BootstrapServers);

        using (var reader = Reader(topic, availability, deadLetters))
        {
            reader.Start();
            await reader.CaughtUp.WaitAsync(CatchUpTimeout);

            var snapshot = availability.Current;
            Assert.Equal(200, snapshot.Count);
            Assert.All(Enumerable.Range(100, 200), i => Assert.True(snapshot.IsWithdrawn($"item-{i}")));
            Assert.All(Enumerable.Range(0, 100), i => Assert.False(snapshot.IsWithdrawn($"item-{i}")));
            Assert.Equal("licensing", snapshot.TryGet("item-250", out var item) ? item!.Reason : null);
            var (ready, detail) = reader.Check();
            Assert.True(ready, detail);
            Assert.Equal($"200 items withdrawn; following {topic} (3 partitions)", detail);
        }

        deadLetters.Dispose(); // flushes: anything it was given is on the broker now
        Assert.Equal(0, KafkaTestKit.EndOffsets(kafka.BootstrapServers, DeadLetterProducer.DeadLetterTopicFor(topic), 3).Values.Sum());
    }

    [Fact]
    public async Task A_topic_that_does_not_exist_withdraws_nothing_and_the_reader_is_ready_saying_so()
    {
        var availability = new ItemAvailability();
        using var reader = Reader(KafkaTestKit.UniqueName("no-such-topic"), availability);

        reader.Start();
        await reader.CaughtUp.WaitAsync(CatchUpTimeout);

        Assert.True(availability.Current.IsEmpty);
        var (ready, detail) = reader.Check();
        Assert.True(ready);
        Assert.Contains("does not exist: no item is withdrawn", detail);
    }

    [Fact]
    public async Task A_topic_created_after_the_start_is_found_and_followed()
    {
        var topic = KafkaTestKit.UniqueName("later");
        var availability = new ItemAvailability();
        using var reader = Reader(topic, availability);
        reader.Start();
        await reader.CaughtUp.WaitAsync(CatchUpTimeout);

        kafka.Broker.CreateTopic(topic, 2);
        await KafkaTestKit.ProduceRawAsync(kafka.BootstrapServers, topic, [Withdrawal("late-item")]);

        await Eventually.AssertAsync(() =>
        {
            Assert.True(availability.Current.IsWithdrawn("late-item"));
            return Task.CompletedTask;
        }, CatchUpTimeout);
    }

    [Fact]
    public async Task While_the_brokers_cannot_be_reached_the_reader_is_not_ready_and_says_why()
    {
        using var reader = Reader("item-availability", new ItemAvailability(), bootstrap: "127.0.0.1:1");

        reader.Start();

        await Eventually.AssertAsync(() =>
        {
            var (ready, detail) = reader.Check();
            Assert.False(ready);
            Assert.StartsWith("looking up the topic item-availability at 127.0.0.1:1; last client error: ", detail);
            return Task.CompletedTask;
        }, CatchUpTimeout);
        Assert.False(reader.IsCaughtUp);
    }
}
