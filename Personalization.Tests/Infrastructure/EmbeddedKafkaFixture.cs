using Confluent.Kafka;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Kafka.Source;
namespace Personalization.Tests.Infrastructure;

/// <summary>
/// One in-process mock Kafka cluster shared by a test class (xunit <c>IClassFixture</c>); every test takes its own
/// topic and group names, so tests never see each other's data. Tests that inject faults start their own broker.
/// </summary>
public sealed class EmbeddedKafkaFixture : IDisposable
{
    public EmbeddedKafkaFixture() => Broker = EmbeddedKafkaBroker.Start(brokers: 1);

    public EmbeddedKafkaBroker Broker { get; }

    public string BootstrapServers => Broker.BootstrapServers;

    public string NewTopic(int partitions, string prefix = "events") => KafkaTestKit.NewTopic(Broker, partitions, prefix);

    public KafkaSourceSettings SourceSettings(string topic, string? groupId = null) =>
        KafkaTestKit.SourceSettings(Broker, topic, groupId);

    public void Dispose() => Broker.Dispose();
}

/// <summary>Helpers over a broker: unique names, tuned-for-tests settings, raw produce, committed offsets, reading a topic.</summary>
public static class KafkaTestKit
{
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    /// <summary>Creates <c>name</c> and <c>name.dlq</c> with the same partition count.</summary>
    public static string NewTopic(EmbeddedKafkaBroker broker, int partitions, string prefix = "events", int replicationFactor = 1)
    {
        var name = UniqueName(prefix);
        broker.CreateTopic(name, partitions, replicationFactor);
        broker.CreateTopic(DeadLetterProducer.DeadLetterTopicFor(name), partitions, replicationFactor);
        return name;
    }

    /// <summary>Short session timeout (rebalances wait about session.timeout.ms − 1 s on the mock) and frequent commits.</summary>
    public static KafkaSourceSettings SourceSettings(EmbeddedKafkaBroker broker, string topic, string? groupId = null) => new()
    {
        BootstrapServers = broker.BootstrapServers,
        Topic = topic,
        GroupId = groupId ?? UniqueName("group"),
        ClientId = UniqueName("test"),
        SessionTimeoutMs = 3000,
        CommitInterval = TimeSpan.FromMilliseconds(100),
    };

    /// <summary>Produces raw records (null key/value allowed; partition null = the partitioner decides), all acknowledged on return.</summary>
    public static async Task ProduceRawAsync(string bootstrapServers, string topic, IEnumerable<(byte[]? Key, byte[]? Value, int? Partition)> records)
    {
        LibrdkafkaLoader.EnsureLoaded();
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(KafkaEventProducer.CreateConfig(bootstrapServers, "test-raw"))
            .SetKeySerializer(Serializers.ByteArray!)
            .SetValueSerializer(Serializers.ByteArray!)
            .Build();
        foreach (var (key, value, partition) in records)
        {
            var message = new Message<byte[]?, byte[]?> { Key = key, Value = value };
            if (partition is { } p) await producer.ProduceAsync(new TopicPartition(topic, p), message);
            else await producer.ProduceAsync(topic, message);
        }
    }

    /// <summary>The group's committed offsets (next offset to read; -1001 = none) without joining the group.</summary>
    public static Dictionary<int, long> Committed(string bootstrapServers, string groupId, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = groupId,
            EnableAutoCommit = false,
        }).Build();
        var committed = consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10));
        return committed.ToDictionary(tpo => tpo.Partition.Value, tpo => tpo.Offset.Value);
    }

    /// <summary>High watermark (offset after the last record) of every partition.</summary>
    public static Dictionary<int, long> EndOffsets(string bootstrapServers, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = UniqueName("watermarks"),
        }).Build();
        return Enumerable.Range(0, partitions).ToDictionary(
            p => p,
            p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value);
    }

    /// <summary>Reads <paramref name="expected"/> records from all partitions from the beginning (no group), or fails after the timeout.</summary>
    public static List<ConsumeResult<byte[]?, byte[]?>> ReadAll(string bootstrapServers, string topic, int partitions, int expected, TimeSpan? timeout = null)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = UniqueName("reader"),
            EnableAutoCommit = false,
        }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var results = new List<ConsumeResult<byte[]?, byte[]?>>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (results.Count < expected && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is not null) results.Add(result);
        }

        if (results.Count < expected)
            throw new TimeoutException($"read {results.Count} of {expected} records from {topic}");
        return results;
    }
}
