using Akka;
using Akka.Actor;
using Akka.Event;
using Personalization.Actors.Ingest;
using Personalization.Actors.Routing;
using Personalization.Actors.Sessions;
using Prometheus;

namespace Personalization.Actors.Kafka;

/// <summary>
/// One consumed record → one <see cref="ApplyEvent"/> to the user's shard, or a DLQ record with the reason (then the
/// offset is acknowledged: dead-lettered records count as handled once the DLQ write is acked).
/// </summary>
internal sealed class IngestRecordHandler
{
    private static readonly Task<NotUsed> Done = Task.FromResult(NotUsed.Instance);

    private static readonly Counter AppliedTotal = Metrics.CreateCounter(
        "personalization_ingest_events_total", "Valid events sent to their user's shard.", "topic");

    private static readonly Counter DeadLetteredTotal = Metrics.CreateCounter(
        "personalization_ingest_dead_lettered_total", "Records written to the DLQ.", "topic");

    private static readonly Counter MisroutedTotal = Metrics.CreateCounter(
        "personalization_ingest_misrouted_total",
        "Events found in a partition other than murmur2(user) % partitions (still delivered to their user).", "topic");

    private readonly IActorRef _shardRegion;
    private readonly DeadLetterProducer _deadLetters;
    private readonly int _partitionCount;
    private readonly ILoggingAdapter _log;
    private readonly Counter.Child _applied;
    private readonly Counter.Child _deadLettered;
    private readonly Counter.Child _misrouted;
    private readonly Dictionary<int, PredecessorMap> _predecessors = new();

    public IngestRecordHandler(string topic, IActorRef shardRegion, DeadLetterProducer deadLetters, int partitionCount, ILoggingAdapter log)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitionCount, 1);
        _shardRegion = shardRegion;
        _deadLetters = deadLetters;
        _partitionCount = partitionCount;
        _log = log;
        _applied = AppliedTotal.WithLabels(topic);
        _deadLettered = DeadLetteredTotal.WithLabels(topic);
        _misrouted = MisroutedTotal.WithLabels(topic);
    }

    /// <summary>The source's acknowledged position per partition, for pruning predecessors (set once the stream runs).</summary>
    public Func<int, long>? CommittablePosition { get; set; }

    public static double MisroutedCount(string topic) => MisroutedTotal.WithLabels(topic).Value;

    public static double DeadLetteredCount(string topic) => DeadLetteredTotal.WithLabels(topic).Value;

    public Task<NotUsed> Handle(ConsumedRecord record)
    {
        if (!KafkaRecordDecoder.TryDecode(record.Key, record.Value, record.TimestampMs, out var evt, out var keyMatched, out var reason))
            return DeadLetter(record, reason!);

        var shard = keyMatched
            ? KafkaPartitioner.PartitionFor(record.Key, _partitionCount)
            : KafkaPartitioner.PartitionFor(evt!.UserId, _partitionCount);
        if (shard != record.Partition) _misrouted.Inc();
        var previous = PredecessorsOf(record).Exchange(evt!.UserId, record.Offset);
        _shardRegion.Tell(new ApplyEvent(evt.UserId, evt.ItemId, evt.Type, evt.Timestamp, record.Partition, record.Offset, record.AckTo, previous));
        _applied.Inc();
        return Done;
    }

    private PredecessorMap PredecessorsOf(ConsumedRecord record)
    {
        if (!_predecessors.TryGetValue(record.Partition, out var map) || map.Generation != record.Generation)
            _predecessors[record.Partition] = map = new PredecessorMap(record.Generation);
        else if (map.Count > map.PruneAt && CommittablePosition is { } position)
            map.PruneBelow(position(record.Partition));
        return map;
    }

    /// <summary>
    /// Per partition: each user's last valid event still possibly unacknowledged. Entries below the acknowledged
    /// position are known durable and pruned, so the map holds about the users with events in flight. A rewind
    /// (new generation) starts it afresh. Dead-lettered records never enter it: they are nobody's predecessor.
    /// </summary>
    private sealed class PredecessorMap(long generation)
    {
        private const int MinPruneAt = 50_000;
        private readonly Dictionary<string, long> _last = new(StringComparer.Ordinal);

        public long Generation { get; } = generation;

        /// <summary>Size that triggers the next prune: twice what survived the last one, so pruning stays amortised O(1).</summary>
        public int PruneAt { get; private set; } = MinPruneAt;

        public int Count => _last.Count;

        /// <summary>Records <paramref name="offset"/> as the user's last event; returns the one before it, or -1.</summary>
        public long Exchange(string user, long offset)
        {
            ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_last, user, out var existed);
            var previous = existed ? slot : -1;
            slot = offset;
            return previous;
        }

        public void PruneBelow(long position)
        {
            if (position < 0) return;
            foreach (var (user, offset) in _last)
                if (offset < position) _last.Remove(user);
            PruneAt = Math.Max(MinPruneAt, 2 * _last.Count);
        }
    }

    private async Task<NotUsed> DeadLetter(ConsumedRecord record, string reason)
    {
        const int attempts = 5;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _deadLetters.SendAsync(record, reason).ConfigureAwait(false);
                break;
            }
            catch (Exception e) when (attempt < attempts)
            {
                // The producer already retried for message.timeout.ms; try a few more times before failing the stream
                // (then the offset stays uncommitted and the record is read again after a restart).
                _log.Warning("DLQ write of {0}[{1}]@{2} failed ({3}), retrying", record.Topic, record.Partition, record.Offset, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt)).ConfigureAwait(false);
            }
        }

        _deadLettered.Inc();
        record.AckTo.Tell(new EventsDurable(record.Partition, [record.Offset]), ActorRefs.NoSender);
        return NotUsed.Instance;
    }
}
