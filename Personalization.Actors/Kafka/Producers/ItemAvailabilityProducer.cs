using System.Text;
using Confluent.Kafka;
using Personalization.Actors.Filters;
using Personalization.Actors.Kafka.Broker;

namespace Personalization.Actors.Kafka.Producers;

/// <summary>
/// Writes the availability topic for the admin API (<c>POST /admin/items/{id}/withdraw|restore</c>): a withdrawal is
/// <c>{"item","available":false,"reason","by"}</c> keyed by the item id; a restore is a tombstone, so compaction drops
/// the key and the topic keeps only what is withdrawn (who restored is in the node's audit log). Durable and
/// idempotent like every producer of ours; a completed produce is on the brokers.
/// </summary>
public sealed class ItemAvailabilityProducer : IDisposable
{
    private readonly IProducer<byte[]?, byte[]?> _producer;

    public ItemAvailabilityProducer(string bootstrapServers, string topic, IReadOnlyDictionary<string, string>? properties = null)
    {
        LibrdkafkaLoader.EnsureLoaded();
        Topic = topic;
        _producer = new ProducerBuilder<byte[]?, byte[]?>(KafkaEventProducer.CreateConfig(bootstrapServers, "personalization-availability", properties))
            .SetKeySerializer(Serializers.ByteArray!)
            .SetValueSerializer(Serializers.ByteArray!)
            .Build();
    }

    public string Topic { get; }

    /// <summary>Produces the withdrawal of <paramref name="itemId"/>; where the broker stored it.</summary>
    public Task<(int Partition, long Offset)> WithdrawAsync(string itemId, string? reason, string? by, CancellationToken ct) =>
        ProduceAsync(itemId, AvailabilityRecordJson.Serialize(new AvailabilityUpdate(itemId, false, reason, by)), ct);

    /// <summary>Produces the tombstone that makes <paramref name="itemId"/> available again.</summary>
    public Task<(int Partition, long Offset)> RestoreAsync(string itemId, CancellationToken ct) => ProduceAsync(itemId, null, ct);

    private async Task<(int Partition, long Offset)> ProduceAsync(string itemId, byte[]? value, CancellationToken ct)
    {
        var result = await _producer.ProduceAsync(Topic, new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes(itemId), Value = value }, ct)
            .ConfigureAwait(false);
        return (result.Partition.Value, result.Offset.Value);
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }
}
