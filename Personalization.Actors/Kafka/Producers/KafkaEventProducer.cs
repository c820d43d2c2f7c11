using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Personalization.Actors.Events;
using Personalization.Actors.Kafka.Broker;

namespace Personalization.Actors.Kafka.Producers;

/// <summary>Where the broker stored one produced event.</summary>
public readonly record struct ProducedEvent(int Partition, long Offset);

/// <summary>
/// Produces <see cref="ListeningEvent"/>s keyed by user id with <c>partitioner=murmur2_random</c>, so each lands in
/// partition <c>murmur2(user) % partitions</c> = its user's shard (docs/DESIGN.md, "Routing"); <c>acks=all</c> and
/// idempotence on, so a completed produce is durable and retries never duplicate or reorder.
/// </summary>
public sealed class KafkaEventProducer : IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer;

    /// <param name="extraConfig">librdkafka properties (TLS, SASL, …) over ours; see <see cref="CreateConfig"/>.</param>
    public KafkaEventProducer(string bootstrapServers, string topic, IReadOnlyDictionary<string, string>? extraConfig = null)
    {
        LibrdkafkaLoader.EnsureLoaded();
        Topic = topic;
        _producer = new ProducerBuilder<byte[], byte[]>(CreateConfig(bootstrapServers, "personalization-events", extraConfig)).Build();
    }

    public string Topic { get; }

    /// <summary>
    /// Producer settings every producer of ours shares: Java-compatible key partitioning, durable, idempotent; then
    /// <paramref name="properties"/> (TLS, SASL, tuning) over them, except what we rely on
    /// (<see cref="KafkaClientProperties.ProducerOwned"/>), which is refused with an <see cref="ArgumentException"/>.
    /// </summary>
    public static ProducerConfig CreateConfig(string bootstrapServers, string clientId, IReadOnlyDictionary<string, string>? properties = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = clientId,
            Partitioner = Partitioner.Murmur2Random,
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 5,
            MessageTimeoutMs = 60_000,
        };
        KafkaClientProperties.Apply(config, properties, KafkaClientProperties.ProducerOwned, $"producer {clientId}");
        return config;
    }

    /// <summary>Completes once the broker acknowledged the event (acks=all).</summary>
    public async Task<ProducedEvent> ProduceAsync(ListeningEvent evt, CancellationToken cancellationToken = default)
    {
        var result = await _producer.ProduceAsync(Topic, ToMessage(evt), cancellationToken).ConfigureAwait(false);
        return new ProducedEvent(result.Partition.Value, result.Offset.Value);
    }

    /// <summary>
    /// Produces many events with one completion: the task completes when every event is acknowledged (or fails with
    /// the first error). A full local queue waits for deliveries instead of failing, so any count can be passed.
    /// </summary>
    public Task<int> ProduceManyAsync(IEnumerable<ListeningEvent> events, CancellationToken cancellationToken = default)
    {
        var batch = new DeliveryBatch();
        foreach (var evt in events)
        {
            cancellationToken.ThrowIfCancellationRequested();
            batch.Started();
            var message = ToMessage(evt);
            while (true)
            {
                try
                {
                    _producer.Produce(Topic, message, batch.OnDelivery);
                    break;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    _producer.Poll(TimeSpan.FromMilliseconds(50)); // backpressure: wait for deliveries to free room
                }
            }
        }

        return batch.Seal();
    }

    /// <summary>Waits until every produced event is delivered (or the timeout passes).</summary>
    public void Flush(TimeSpan timeout) => _producer.Flush(timeout);

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }

    /// <summary>
    /// The record of <paramref name="evt"/>. Inside a trace (a POST /events request) while the engine's tracing is on,
    /// it carries the W3C <c>traceparent</c> of the current span, so the consumer's event span continues the request's
    /// trace (docs/DESIGN.md, "Traces"); otherwise no headers.
    /// </summary>
    private static Message<byte[], byte[]> ToMessage(ListeningEvent evt)
    {
        var message = new Message<byte[], byte[]>
        {
            Key = Encoding.UTF8.GetBytes(evt.UserId),
            Value = ListeningEventJson.Serialize(evt),
            Timestamp = new Timestamp(evt.Timestamp, TimestampType.CreateTime),
        };
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } current && Telemetry.EngineTracing.Source.HasListeners())
            message.Headers = new Headers { { Telemetry.EngineTracing.TraceParentHeader, Encoding.ASCII.GetBytes(Telemetry.EngineTracing.TraceParentOf(current)) } };
        return message;
    }

    /// <summary>Counts outstanding deliveries of one batch; completes when the last one is in (after sealing).</summary>
    private sealed class DeliveryBatch
    {
        private readonly TaskCompletionSource<int> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _pending = 1; // the seal
        private int _count;
        private Exception? _error;

        public void Started()
        {
            Interlocked.Increment(ref _pending);
            _count++;
        }

        public void OnDelivery(DeliveryReport<byte[], byte[]> report)
        {
            if (report.Error.IsError)
                Interlocked.CompareExchange(ref _error, new ProduceException<byte[], byte[]>(report.Error, report), null);
            Done();
        }

        public Task<int> Seal()
        {
            Done();
            return _done.Task;
        }

        private void Done()
        {
            if (Interlocked.Decrement(ref _pending) != 0) return;
            if (_error is not null) _done.TrySetException(_error);
            else _done.TrySetResult(_count);
        }
    }
}
