using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Source;

namespace Personalization.Actors.Kafka.Producers;

/// <summary>
/// Writes records that cannot be applied to <c>&lt;topic&gt;.dlq</c>: key and value bytes exactly as consumed, plus
/// headers saying why and where from (<c>dlq-reason</c>, <c>dlq-topic</c>, <c>dlq-partition</c>, <c>dlq-offset</c>,
/// <c>dlq-time</c>, ISO-8601 UTC). Durable (acks=all) and idempotent, so an acknowledged DLQ write may count as the
/// record being handled.
/// </summary>
public sealed class DeadLetterProducer : IDisposable
{
    public const string ReasonHeader = "dlq-reason";
    public const string TopicHeader = "dlq-topic";
    public const string PartitionHeader = "dlq-partition";
    public const string OffsetHeader = "dlq-offset";
    public const string TimeHeader = "dlq-time";

    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly TimeProvider _time;

    /// <param name="properties">librdkafka properties (TLS, SASL, …) over ours; see <see cref="KafkaEventProducer.CreateConfig"/>.</param>
    public DeadLetterProducer(string bootstrapServers, TimeProvider? time = null, IReadOnlyDictionary<string, string>? properties = null)
    {
        LibrdkafkaLoader.EnsureLoaded();
        _time = time ?? TimeProvider.System;
        _producer = new ProducerBuilder<byte[]?, byte[]?>(KafkaEventProducer.CreateConfig(bootstrapServers, "personalization-dlq", properties))
            .SetKeySerializer(Serializers.ByteArray!)
            .SetValueSerializer(Serializers.ByteArray!)
            .Build();
    }

    public static string DeadLetterTopicFor(string topic) => topic + ".dlq";

    /// <summary>Completes once the DLQ record is acknowledged by the broker.</summary>
    public async Task SendAsync(ConsumedRecord record, string reason, CancellationToken cancellationToken = default)
    {
        var headers = new Headers
        {
            { ReasonHeader, Encoding.UTF8.GetBytes(reason) },
            { TopicHeader, Encoding.UTF8.GetBytes(record.Topic) },
            { PartitionHeader, Encoding.UTF8.GetBytes(record.Partition.ToString(CultureInfo.InvariantCulture)) },
            { OffsetHeader, Encoding.UTF8.GetBytes(record.Offset.ToString(CultureInfo.InvariantCulture)) },
            { TimeHeader, Encoding.UTF8.GetBytes(_time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture)) },
        };
        var message = new Message<byte[]?, byte[]?> { Key = record.Key, Value = record.Value, Headers = headers };
        await _producer.ProduceAsync(DeadLetterTopicFor(record.Topic), message, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }
}
