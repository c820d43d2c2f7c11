using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Personalization.Actors.Events;
using Personalization.Actors.Ingest;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;

namespace Personalization.Actors.Kafka.DeadLetters;

/// <summary>A record of the dead-letter topic and what its headers say (<see cref="DeadLetterProducer"/>).</summary>
public sealed record DeadLetterRecord(
    int Partition,
    long Offset,
    DateTimeOffset? Timestamp,
    byte[]? Key,
    byte[]? Value,
    string Reason,
    string? SourceTopic,
    int? SourcePartition,
    long? SourceOffset,
    string? DeadLetteredAt);

/// <summary>Where a replay produced a DLQ record (the ledger's value), when, by whom, and whether it was corrected.</summary>
public sealed record ReplayMark(int Partition, long Offset, DateTimeOffset At, bool Corrected, string By);

/// <summary>One record to replay: its DLQ position and, for a corrected one, the new value (JSON text of an event).</summary>
public sealed record ReplayRequest(int Partition, long Offset, string? CorrectedValue);

public enum ReplayOutcome
{
    Replayed,
    AlreadyReplayed,
    Refused,
}

public sealed record ReplayResult(int Partition, long Offset, ReplayOutcome Outcome, string Detail, ReplayMark? Mark);

/// <summary>
/// Reads the dead-letter topic (<c>&lt;topic&gt;.dlq</c>) and replays its records into the events topic, each at most
/// once. A replayed record carries the header <see cref="ReplayOfHeader"/> (<c>&lt;dlq topic&gt;:&lt;partition&gt;:&lt;offset&gt;</c>);
/// the ledger topic <c>&lt;topic&gt;.dlq.replays</c> holds one record per replayed DLQ offset (key
/// <c>partition:offset</c>, value a <see cref="ReplayMark"/>).
/// <para><b>Why a DLQ offset is produced at most once.</b> A replay reads the ledger (read_committed) and skips every
/// offset it names; the rest are produced together with their ledger records in one Kafka transaction, so the event
/// and its ledger record become visible together or not at all — a replay that dies half-way leaves nothing, and
/// running it again is safe. Within a node, replays run one at a time (read, check and write cannot interleave).
/// Across nodes, every replay of a topic uses the same transactional id: on Kafka, starting one (InitTransactions)
/// bumps the id's epoch, which aborts another node's open transaction and makes its later writes fail
/// (ProducerFenced), and the ledger is read only after that; so of two simultaneous replays one commits and the
/// other fails having produced nothing. librdkafka's mock cluster (the embedded broker) does not fence — two producers
/// with one transactional id both commit there — so the tests pin the single-node and one-after-the-other cases.
/// Consumers of the events topic read committed records only (librdkafka's default isolation.level, which the node's
/// consumer keeps).</para>
/// </summary>
public sealed class DeadLetterStore
{
    public const string ReplayOfHeader = "dlq-replay-of";
    public const string ReplayedByHeader = "dlq-replayed-by";
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _bootstrapServers;
    private readonly IReadOnlyDictionary<string, string>? _properties;
    private readonly SemaphoreSlim _replayGate = new(1, 1);

    public DeadLetterStore(string bootstrapServers, string topic, IReadOnlyDictionary<string, string>? properties = null)
    {
        _bootstrapServers = bootstrapServers;
        _properties = properties;
        Topic = topic;
        LibrdkafkaLoader.EnsureLoaded();
    }

    /// <summary>The events topic that replays go to.</summary>
    public string Topic { get; }

    public string DeadLetterTopic => DeadLetterProducer.DeadLetterTopicFor(Topic);

    public string LedgerTopic => DeadLetterTopic + ".replays";

    /// <summary>The transactional id every replay of <see cref="Topic"/> shares (what fences concurrent replays).</summary>
    public string TransactionalId => "personalization-dlq-replay-" + Topic;

    /// <summary>The partitions of the DLQ with their watermarks.</summary>
    public IReadOnlyList<(int Partition, long Low, long High)> Partitions()
    {
        using var consumer = NewConsumer();
        return PartitionsOf(consumer, DeadLetterTopic);
    }

    /// <summary>The last <paramref name="perPartition"/> records of every DLQ partition (fewer where there are fewer), by partition and offset.</summary>
    public IReadOnlyList<DeadLetterRecord> ReadLast(int perPartition, CancellationToken ct)
    {
        using var consumer = NewConsumer();
        var records = new List<DeadLetterRecord>();
        foreach (var (partition, low, high) in PartitionsOf(consumer, DeadLetterTopic))
        {
            if (high <= low) continue;
            records.AddRange(ReadRange(consumer, partition, Math.Max(low, high - perPartition), high, ct));
        }

        return records;
    }

    /// <summary>The DLQ record at <paramref name="partition"/>/<paramref name="offset"/>, or null when there is none (never written, or gone with retention).</summary>
    public DeadLetterRecord? Read(int partition, long offset, CancellationToken ct)
    {
        using var consumer = NewConsumer();
        var (low, high) = Watermarks(consumer, DeadLetterTopic, partition);
        if (offset < low || offset >= high) return null;
        return ReadRange(consumer, partition, offset, offset + 1, ct).FirstOrDefault(r => r.Offset == offset);
    }

    /// <summary>Every DLQ offset replayed so far (committed transactions only), by "partition:offset".</summary>
    public IReadOnlyDictionary<(int Partition, long Offset), ReplayMark> Ledger(CancellationToken ct)
    {
        using var consumer = NewConsumer();
        return ReadLedger(consumer, ct);
    }

    /// <summary>
    /// Replays <paramref name="requests"/>: each DLQ record is checked (it exists, came from <see cref="Topic"/>, its
    /// value — the corrected one if given — is a valid event), skipped if the ledger has it, else produced to the events
    /// topic with its ledger record in one transaction (see the class remarks). Refusals produce nothing.
    /// </summary>
    public async Task<IReadOnlyList<ReplayResult>> ReplayAsync(IReadOnlyList<ReplayRequest> requests, string by, CancellationToken ct)
    {
        await _replayGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => Replay(requests, by, ct), ct).ConfigureAwait(false);
        }
        finally
        {
            _replayGate.Release();
        }
    }

    private List<ReplayResult> Replay(IReadOnlyList<ReplayRequest> requests, string by, CancellationToken ct)
    {
        var config = KafkaEventProducer.CreateConfig(_bootstrapServers, "personalization-dlq-replay", _properties);
        config.TransactionalId = TransactionalId;
        config.TransactionTimeoutMs = 60_000;
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(config)
            .SetKeySerializer(Serializers.ByteArray!)
            .SetValueSerializer(Serializers.ByteArray!)
            .Build();
        // Fences every other replay of this topic and settles its open transaction: the ledger read next is complete.
        producer.InitTransactions(TimeSpan.FromSeconds(30));

        using var consumer = NewConsumer();
        var ledger = ReadLedger(consumer, ct);
        var results = new ReplayResult?[requests.Count];
        var toProduce = new List<(int Index, ReplayRequest Request, ListeningEvent Event, byte[] Value)>();
        var seen = new HashSet<(int, long)>();
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            if (ledger.TryGetValue((request.Partition, request.Offset), out var mark))
            {
                results[i] = new ReplayResult(request.Partition, request.Offset, ReplayOutcome.AlreadyReplayed,
                    $"replayed before, at {Topic} {mark.Partition}/{mark.Offset} on {mark.At:yyyy-MM-dd HH:mm:ss}Z by {mark.By}; not produced again", mark);
                continue;
            }

            if (!seen.Add((request.Partition, request.Offset)))
            {
                results[i] = Refuse(request, "named twice in this replay; produced once");
                continue;
            }

            var (low, high) = Watermarks(consumer, DeadLetterTopic, request.Partition);
            var record = request.Offset >= low && request.Offset < high
                ? ReadRange(consumer, request.Partition, request.Offset, request.Offset + 1, ct).FirstOrDefault(r => r.Offset == request.Offset)
                : null;
            if (record is null)
            {
                results[i] = Refuse(request, $"{DeadLetterTopic} has no record at {request.Partition}/{request.Offset} (its offsets are {low}..{high - 1})");
                continue;
            }

            if (record.SourceTopic is { } source && source != Topic)
            {
                results[i] = Refuse(request, $"the record was dead-lettered from {source}, not {Topic}");
                continue;
            }

            var value = request.CorrectedValue is null ? record.Value : Encoding.UTF8.GetBytes(request.CorrectedValue);
            // The same rules as ingest, with the original key for the original value; a corrected value decides its own key.
            var key = request.CorrectedValue is null ? record.Key : null;
            var time = record.Timestamp?.ToUnixTimeMilliseconds() ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (!KafkaRecordDecoder.TryDecode(key, value, time, out var evt, out _, out var reason))
            {
                results[i] = Refuse(request, (request.CorrectedValue is null ? "the original value is still not an event: " : "the corrected value is not an event: ") + reason);
                continue;
            }

            toProduce.Add((i, request, evt!, value!));
        }

        if (toProduce.Count > 0)
        {
            producer.BeginTransaction();
            try
            {
                var marks = new ReplayMark[toProduce.Count];
                var at = DateTimeOffset.UtcNow;
                var produced = toProduce.Select(p => producer.ProduceAsync(Topic, new Message<byte[]?, byte[]?>
                {
                    Key = Encoding.UTF8.GetBytes(p.Event.UserId),
                    Value = p.Value,
                    Timestamp = new Timestamp(p.Event.Timestamp, TimestampType.CreateTime),
                    Headers = new Headers
                    {
                        { ReplayOfHeader, Encoding.UTF8.GetBytes(Coordinate(p.Request.Partition, p.Request.Offset)) },
                        { ReplayedByHeader, Encoding.UTF8.GetBytes(by) },
                    },
                }, ct)).ToArray();
                Task.WaitAll(produced, ct);
                for (var j = 0; j < toProduce.Count; j++)
                {
                    var delivered = produced[j].Result;
                    marks[j] = new ReplayMark(delivered.Partition.Value, delivered.Offset.Value, at, toProduce[j].Request.CorrectedValue is not null, by);
                    producer.Produce(LedgerTopic, new Message<byte[]?, byte[]?>
                    {
                        Key = Encoding.UTF8.GetBytes(LedgerKey(toProduce[j].Request.Partition, toProduce[j].Request.Offset)),
                        Value = JsonSerializer.SerializeToUtf8Bytes(marks[j], Json),
                    });
                }

                producer.CommitTransaction(TimeSpan.FromSeconds(30));
                for (var j = 0; j < toProduce.Count; j++)
                {
                    var (index, request, evt, _) = toProduce[j];
                    results[index] = new ReplayResult(request.Partition, request.Offset, ReplayOutcome.Replayed,
                        $"produced to {Topic} {marks[j].Partition}/{marks[j].Offset} for user {evt.UserId}{(request.CorrectedValue is null ? "" : " (corrected)")}", marks[j]);
                }
            }
            catch
            {
                try { producer.AbortTransaction(TimeSpan.FromSeconds(10)); } catch (KafkaException) { } // fenced or gone: nothing was committed
                throw;
            }
        }

        return results.Select(r => r!).ToList();
    }

    private static ReplayResult Refuse(ReplayRequest request, string why) => new(request.Partition, request.Offset, ReplayOutcome.Refused, why, null);

    private string Coordinate(int partition, long offset) => $"{DeadLetterTopic}:{partition}:{offset}";

    private static string LedgerKey(int partition, long offset) => $"{partition.ToString(CultureInfo.InvariantCulture)}:{offset.ToString(CultureInfo.InvariantCulture)}";

    private Dictionary<(int, long), ReplayMark> ReadLedger(IConsumer<byte[]?, byte[]?> consumer, CancellationToken ct)
    {
        var ledger = new Dictionary<(int, long), ReplayMark>();
        foreach (var (partition, low, high) in PartitionsOf(consumer, LedgerTopic, mayBeMissing: true))
        {
            if (high <= low) continue;
            foreach (var record in ReadRaw(consumer, LedgerTopic, partition, low, high, ct))
            {
                var key = record.Message.Key is null ? "" : Encoding.UTF8.GetString(record.Message.Key);
                var parts = key.Split(':');
                if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var p) || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var o)) continue;
                if (record.Message.Value is not { Length: > 0 } value) continue;
                try
                {
                    if (JsonSerializer.Deserialize<ReplayMark>(value, Json) is { } mark) ledger[(p, o)] = mark;
                }
                catch (JsonException)
                {
                    // Not ours: ignored.
                }
            }
        }

        return ledger;
    }

    private List<DeadLetterRecord> ReadRange(IConsumer<byte[]?, byte[]?> consumer, int partition, long from, long to, CancellationToken ct) =>
        ReadRaw(consumer, DeadLetterTopic, partition, from, to, ct).Select(ToRecord).ToList();

    /// <summary>The committed records of [from, to) of one partition (transaction markers and aborted records take offsets, not records).</summary>
    private static List<ConsumeResult<byte[]?, byte[]?>> ReadRaw(IConsumer<byte[]?, byte[]?> consumer, string topic, int partition, long from, long to, CancellationToken ct)
    {
        var records = new List<ConsumeResult<byte[]?, byte[]?>>();
        consumer.Assign(new TopicPartitionOffset(topic, partition, from));
        try
        {
            var deadline = DateTime.UtcNow + ReadTimeout;
            while (DateTime.UtcNow < deadline)
            {
                ct.ThrowIfCancellationRequested();
                var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result is null)
                {
                    // The position moves past markers without a record: done once it reaches the end asked for.
                    if (consumer.Position(new TopicPartition(topic, partition)) is { } position && position != Offset.Unset && position.Value >= to) break;
                    continue;
                }

                if (result.IsPartitionEOF) break;
                if (result.Offset.Value >= to) break;
                records.Add(result);
                if (result.Offset.Value >= to - 1) break;
            }
        }
        finally
        {
            consumer.Unassign();
        }

        return records;
    }

    private static DeadLetterRecord ToRecord(ConsumeResult<byte[]?, byte[]?> r)
    {
        string? Header(string name) =>
            r.Message.Headers is { } headers && headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;

        return new DeadLetterRecord(
            r.Partition.Value,
            r.Offset.Value,
            r.Message.Timestamp.Type == TimestampType.NotAvailable ? null : r.Message.Timestamp.UtcDateTime,
            r.Message.Key,
            r.Message.Value,
            Header(DeadLetterProducer.ReasonHeader) ?? "(no dlq-reason header)",
            Header(DeadLetterProducer.TopicHeader),
            int.TryParse(Header(DeadLetterProducer.PartitionHeader), CultureInfo.InvariantCulture, out var p) ? p : null,
            long.TryParse(Header(DeadLetterProducer.OffsetHeader), CultureInfo.InvariantCulture, out var o) ? o : null,
            Header(DeadLetterProducer.TimeHeader));
    }

    private IConsumer<byte[]?, byte[]?> NewConsumer()
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = _bootstrapServers,
            // Assign only, never subscribed or committed: the id is required by the client, not used by the broker.
            GroupId = "personalization-dlq-admin",
            ClientId = "personalization-dlq-admin",
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            EnablePartitionEof = true,
            IsolationLevel = IsolationLevel.ReadCommitted,
        };
        KafkaClientProperties.Apply(config, _properties, KafkaClientProperties.ConsumerOwned, "dlq admin consumer");
        return new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetKeyDeserializer(Deserializers.ByteArray!)
            .SetValueDeserializer(Deserializers.ByteArray!)
            .Build();
    }

    private List<(int Partition, long Low, long High)> PartitionsOf(IConsumer<byte[]?, byte[]?> consumer, string topic, bool mayBeMissing = false)
    {
        var adminConfig = new AdminClientConfig { BootstrapServers = _bootstrapServers };
        KafkaClientProperties.Apply(adminConfig, _properties, [], "dlq admin client");
        // Asking for a topic's metadata may create it where the broker auto-creates topics: list them all instead.
        using var admin = new AdminClientBuilder(adminConfig).Build();
        var metadata = admin.GetMetadata(MetadataTimeout);
        var found = metadata.Topics.FirstOrDefault(t => t.Topic == topic && t.Error.Code == ErrorCode.NoError);
        if (found is null)
        {
            if (mayBeMissing) return [];
            throw new KafkaException(new Error(ErrorCode.UnknownTopicOrPart, $"the topic {topic} does not exist"));
        }

        return found.Partitions
            .OrderBy(p => p.PartitionId)
            .Select(p =>
            {
                var (low, high) = Watermarks(consumer, topic, p.PartitionId);
                return (p.PartitionId, low, high);
            })
            .ToList();
    }

    private static (long Low, long High) Watermarks(IConsumer<byte[]?, byte[]?> consumer, string topic, int partition)
    {
        var w = consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), MetadataTimeout);
        return (w.Low.Value, w.High.Value);
    }
}
