using System.Text;
using Confluent.Kafka;
using Personalization.Actors.Kafka.Broker;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Kafka;

public class EmbeddedKafkaBrokerTests
{
    [Fact]
    public void Loads_the_native_library_once()
    {
        LibrdkafkaLoader.EnsureLoaded();
        LibrdkafkaLoader.EnsureLoaded();
        Assert.NotEqual(IntPtr.Zero, LibrdkafkaLoader.Handle);
        if (OperatingSystem.IsLinux()) Assert.EndsWith(LibrdkafkaLoader.Centos8FileName, LibrdkafkaLoader.LoadedPath);
        Assert.StartsWith("2.", Library.VersionString);
    }

    [Fact]
    public async Task Topics_created_on_the_embedded_broker_take_records_and_give_them_back()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        Assert.Matches(@"^127\.0\.0\.1:\d+$", broker.BootstrapServers);
        var topic = KafkaTestKit.NewTopic(broker, partitions: 3);
        await KafkaTestKit.ProduceRawAsync(broker.BootstrapServers, topic,
            Enumerable.Range(0, 30).Select(i => ((byte[]?)Encoding.UTF8.GetBytes($"k{i}"), (byte[]?)Encoding.UTF8.GetBytes($"v{i}"), (int?)(i % 3))));
        var read = KafkaTestKit.ReadAll(broker.BootstrapServers, topic, 3, expected: 30);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"v{i}").Order(), read.Select(r => Encoding.UTF8.GetString(r.Message.Value!)).Order());
        Assert.All(KafkaTestKit.EndOffsets(broker.BootstrapServers, topic, 3).Values, high => Assert.Equal(10, high));
    }

    [Fact]
    public async Task Three_brokers_survive_a_broker_going_down_and_up()
    {
        using var broker = EmbeddedKafkaBroker.Start(brokers: 3);
        Assert.Equal(3, broker.BootstrapServers.Split(',').Length);
        var topic = KafkaTestKit.NewTopic(broker, partitions: 3, replicationFactor: 3);
        broker.SetPartitionLeader(topic, 0, 2);
        broker.SetBrokerDown(2);
        var produce = KafkaTestKit.ProduceRawAsync(broker.BootstrapServers, topic, [(null, "while-down"u8.ToArray(), 0)]);
        Assert.False(produce.IsCompleted);
        broker.SetBrokerUp(2);
        await produce.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Single(KafkaTestKit.ReadAll(broker.BootstrapServers, topic, 3, expected: 1));
    }

    [Fact]
    public async Task Injected_retriable_produce_errors_are_retried_by_the_idempotent_producer()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        var topic = KafkaTestKit.NewTopic(broker, partitions: 1);
        broker.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.NotEnoughReplicas, ErrorCode.NotEnoughReplicas);
        await KafkaTestKit.ProduceRawAsync(broker.BootstrapServers, topic, [(null, "retried"u8.ToArray(), 0)]);
        Assert.Equal(1, KafkaTestKit.EndOffsets(broker.BootstrapServers, topic, 1)[0]);
    }

    [Fact]
    public void Disposing_twice_is_harmless_and_use_after_dispose_is_refused()
    {
        var broker = EmbeddedKafkaBroker.Start();
        broker.Dispose();
        broker.Dispose();
        Assert.Throws<ObjectDisposedException>(() => broker.CreateTopic("late", 1));
    }
}
