using System.Diagnostics;
using System.Text;
using Akka.Streams;
using Akka.Streams.Dsl;
using Personalization.Actors.Events;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Kafka.Source;
using Personalization.Actors.Routing;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Kafka;

/// <summary>A foreign producer (kcat, librdkafka's CLI) with murmur2_random picks the partition our routing computes.</summary>
public class KcatInteropTests(EmbeddedKafkaFixture kafka) : Akka.TestKit.Xunit2.TestKit, IClassFixture<EmbeddedKafkaFixture>
{
    private const string Kcat = "/usr/bin/kcat";

    [Fact]
    public async Task Events_produced_by_kcat_reach_the_source_in_the_partition_our_murmur2_computes()
    {
        Assert.True(File.Exists(Kcat), "kcat is not installed at /usr/bin/kcat");
        const int partitions = 6;
        var topic = kafka.NewTopic(partitions);
        var users = Enumerable.Range(0, 60).Select(i => $"user-{i}").ToList();
        var input = new StringBuilder();
        foreach (var user in users)
            input.Append(user).Append(':').Append(Encoding.UTF8.GetString(ListeningEventJson.Serialize(new ListeningEvent(user, "item-1", EventType.Play, 1_700_000_000_000)))).Append('\n');

        var kcat = Process.Start(new ProcessStartInfo(Kcat, ["-P", "-b", kafka.BootstrapServers, "-t", topic, "-K:", "-X", "topic.partitioner=murmur2_random"])
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
        })!;
        await kcat.StandardInput.WriteAsync(input.ToString());
        kcat.StandardInput.Close();
        await kcat.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(kcat.ExitCode == 0, await kcat.StandardError.ReadToEndAsync());

        var (control, records) = KafkaEventSource.Create(kafka.SourceSettings(topic))
            .Take(users.Count)
            .ToMaterialized(Sink.Seq<ConsumedRecord>(), Keep.Both)
            .Run(Sys.Materializer());
        var received = await records.WaitAsync(TimeSpan.FromSeconds(30));
        await control.Completion.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(users.Order(), received.Select(r => Encoding.UTF8.GetString(r.Key!)).Order());
        foreach (var record in received)
        {
            Assert.True(ListeningEventJson.TryParse(record.Value, 0, out var evt, out var error), error);
            Assert.Equal(KafkaPartitioner.PartitionFor(evt!.UserId, partitions), record.Partition);
        }

        // And our own producer agrees with both.
        using var producer = new KafkaEventProducer(kafka.BootstrapServers, topic);
        foreach (var user in users.Take(10))
        {
            var produced = await producer.ProduceAsync(new ListeningEvent(user, "item-2", EventType.Like, 1));
            Assert.Equal(KafkaPartitioner.PartitionFor(user, partitions), produced.Partition);
        }
    }
}
