using System.Buffers;
using System.Text.Json;
using Confluent.Kafka;
using Personalization.Actors.Kafka.Broker;
using Prometheus;

namespace Personalization.Actors.Kafka.Producers;

/// <summary>One served list, as written to the impressions topic (see <see cref="ImpressionProducer"/>).</summary>
/// <param name="Teams">Interleaving: per position, the variant that picked the item; null otherwise.</param>
public sealed record ImpressionRecord(
    string RecommendationId, string UserId, string? Experiment, string? Variant, string ModelName, string ModelVersion,
    IReadOnlyList<(string ItemId, float Score)> Items, string?[]? Teams, bool ColdStart, string? Degraded, long ServedAtMs);

/// <summary>
/// Logs every served list to the impressions topic, keyed by user, as one JSON object:
/// <c>{"recommendationId","user","experiment","variant","model":{"name","version"},"items":[{"item","position","score"[,"variant"]}],"coldStart","degraded","ts"}</c>.
/// Never in the answer's way: a record is handed to librdkafka's queue and the answer goes on; when the queue is
/// full or the broker is gone the record is dropped and counted (<c>personalization_impressions_dropped_total</c>),
/// like a metric sample rather than an event of record. Acks from the leader only, for the same reason.
/// </summary>
public sealed class ImpressionProducer : IDisposable
{
    private static readonly Counter Produced = Metrics.CreateCounter("personalization_impressions_total", "Impression records handed to the producer");
    private static readonly Counter Dropped = Metrics.CreateCounter(
        "personalization_impressions_dropped_total", "Impression records dropped (producer queue full or delivery failed), by why", "reason");

    private readonly IProducer<string, byte[]> _producer;
    private readonly Action<DeliveryReport<string, byte[]>> _onDelivery;

    public ImpressionProducer(string bootstrapServers, string topic, IReadOnlyDictionary<string, string>? properties = null)
    {
        LibrdkafkaLoader.EnsureLoaded();
        Topic = topic;
        var config = KafkaEventProducer.CreateConfig(bootstrapServers, "personalization-impressions", properties);
        config.Acks = Acks.Leader;
        config.EnableIdempotence = false;
        config.LingerMs = 20;
        config.QueueBufferingMaxMessages = 200_000;
        _producer = new ProducerBuilder<string, byte[]>(config).Build();
        _onDelivery = report =>
        {
            if (report.Error.IsError) Dropped.WithLabels("delivery").Inc();
        };
        Dropped.WithLabels("queue_full");
        Dropped.WithLabels("delivery");
    }

    public string Topic { get; }

    /// <summary>Hands the record over without waiting; false when it was dropped.</summary>
    public bool TryProduce(ImpressionRecord impression)
    {
        try
        {
            _producer.Produce(Topic, new Message<string, byte[]> { Key = impression.UserId, Value = Serialize(impression) }, _onDelivery);
            Produced.Inc();
            return true;
        }
        catch (ProduceException<string, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
        {
            Dropped.WithLabels("queue_full").Inc();
            return false;
        }
        catch (KafkaException)
        {
            Dropped.WithLabels("delivery").Inc();
            return false;
        }
    }

    public static byte[] Serialize(ImpressionRecord r)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + 48 * r.Items.Count);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("recommendationId"u8, r.RecommendationId);
            w.WriteString("user"u8, r.UserId);
            if (r.Experiment is null) w.WriteNull("experiment"u8);
            else w.WriteString("experiment"u8, r.Experiment);
            if (r.Variant is null) w.WriteNull("variant"u8);
            else w.WriteString("variant"u8, r.Variant);
            w.WriteStartObject("model"u8);
            w.WriteString("name"u8, r.ModelName);
            w.WriteString("version"u8, r.ModelVersion);
            w.WriteEndObject();
            w.WriteStartArray("items"u8);
            for (var i = 0; i < r.Items.Count; i++)
            {
                w.WriteStartObject();
                w.WriteString("item"u8, r.Items[i].ItemId);
                w.WriteNumber("position"u8, i + 1);
                w.WriteNumber("score"u8, r.Items[i].Score);
                if (r.Teams is { } teams && i < teams.Length && teams[i] is { } team) w.WriteString("variant"u8, team);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteBoolean("coldStart"u8, r.ColdStart);
            if (r.Degraded is null) w.WriteNull("degraded"u8);
            else w.WriteString("degraded"u8, r.Degraded);
            w.WriteNumber("ts"u8, r.ServedAtMs);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
    }
}
