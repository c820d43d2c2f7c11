using System.Text;
using Confluent.Kafka;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;
using Personalization.Tests.Infrastructure;

namespace Personalization.Tests.Faults;

/// <summary>
/// The stream a fault hits: whole histories of sample users (their expected state is the offline replay) produced in
/// small chunks over <see cref="FaultSettings.StreamSeconds"/>, with a poison record after every other chunk — not
/// JSON, a wrong type, a key naming another user than the value, a tombstone — each of which must end in the DLQ and
/// nowhere else.
/// </summary>
public sealed class FaultStream : IDisposable
{
    private const int Chunks = 40;
    private readonly IProducer<byte[]?, byte[]?> _raw;
    private readonly KafkaEventProducer _events;
    private int _produced;
    private int _poison;

    private FaultStream(EmbeddedKafkaBroker broker, string topic, int partitions, SampleWorkload workload)
    {
        Broker = broker;
        Topic = topic;
        Partitions = partitions;
        Workload = workload;
        _events = new KafkaEventProducer(broker.BootstrapServers, topic);
        _raw = new ProducerBuilder<byte[]?, byte[]?>(KafkaEventProducer.CreateConfig(broker.BootstrapServers, "fault-poison"))
            .SetKeySerializer(Serializers.ByteArray!)
            .SetValueSerializer(Serializers.ByteArray!)
            .Build();
    }

    public EmbeddedKafkaBroker Broker { get; }

    public string Topic { get; }

    public string DeadLetterTopic => DeadLetterProducer.DeadLetterTopicFor(Topic);

    public int Partitions { get; }

    public SampleWorkload Workload { get; }

    /// <summary>Events acknowledged by the broker so far.</summary>
    public int Produced => Volatile.Read(ref _produced);

    private long _producedUntil;

    /// <summary>Poison records acknowledged by the broker so far.</summary>
    public int Poison => Volatile.Read(ref _poison);

    public static FaultStream Create(EmbeddedKafkaBroker broker, int partitions, int? users = null, int replicationFactor = 1)
    {
        var topic = KafkaTestKit.NewTopic(broker, partitions, "faults", replicationFactor);
        return new FaultStream(broker, topic, partitions, SampleWorkload.Take(users ?? FaultSettings.Users));
    }

    /// <summary>Produces the whole stream, paced over <paramref name="over"/> (default <see cref="FaultSettings.StreamSeconds"/>); completes when the broker acknowledged every record.</summary>
    public async Task ProduceAsync(TimeSpan? over = null, CancellationToken cancellationToken = default)
    {
        var chunkSize = Math.Max(1, (Workload.Events.Count + Chunks - 1) / Chunks);
        var pause = (over ?? TimeSpan.FromSeconds(FaultSettings.StreamSeconds)) / Chunks;
        var chunk = 0;
        foreach (var events in Workload.Events.Chunk(chunkSize))
        {
            Interlocked.Add(ref _produced, await _events.ProduceManyAsync(events, cancellationToken));
            if (chunk++ % 2 == 0) await ProducePoisonAsync(chunk / 2, events[0].UserId, events[0].ItemId, cancellationToken);
            await Task.Delay(pause, cancellationToken); // the pacing of the stream, not a synchronisation
        }

        Volatile.Write(ref _producedUntil, System.Diagnostics.Stopwatch.GetTimestamp());
    }

    /// <summary>When the last record was acknowledged (<see cref="System.Diagnostics.Stopwatch"/> timestamp; 0: not yet).</summary>
    public long ProducedUntil => Volatile.Read(ref _producedUntil);

    /// <summary>One undecodable record of four kinds in turn, keyed so it lands among its user's events.</summary>
    private async Task ProducePoisonAsync(int n, string user, string item, CancellationToken cancellationToken)
    {
        var (key, value) = (n % 4) switch
        {
            0 => (user, "this is not json {"),
            1 => (user, $$"""{"user":"{{user}}","item":"{{item}}","type":7}"""),
            2 => ("someone-else", $$"""{"user":"{{user}}","item":"{{item}}","type":"play"}"""),
            _ => (user, (string?)null),
        };
        var message = new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes(key), Value = value is null ? null : Encoding.UTF8.GetBytes(value) };
        await _raw.ProduceAsync(Topic, message, cancellationToken);
        Interlocked.Increment(ref _poison);
    }

    public void Dispose()
    {
        _raw.Flush(TimeSpan.FromSeconds(10));
        _raw.Dispose();
        _events.Dispose();
    }
}
