using Akka;
using Akka.Actor;
using Akka.Event;
using Personalization.Actors.Delivery;
using Personalization.Actors.Events;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Kafka.Source;
using Personalization.Actors.Quality;
using Personalization.Actors.Routing;
using Personalization.Actors.Sessions;
using Personalization.Actors.Telemetry;
using Prometheus;

namespace Personalization.Actors.Ingest;

/// <summary>
/// One consumed record → one <see cref="ApplyEvent"/> to the user's shard, tagged with its place in the predecessor
/// chain, or a DLQ record with the reason (then the offset is acknowledged: dead-lettered records count as handled
/// once the DLQ write is acked). Whatever goes wrong with one record — a bug in decoding, routing or bookkeeping —
/// dead-letters that record with the exception's type and message; it never fails the stream.
/// Data quality (README, "Data quality") is counted here per partition: misrouted records, timestamps far from the
/// node's clock (<see cref="EventTimeRules"/>), dead-lettered records by reason class (<see cref="DeadLetterReasons"/>).
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
    private readonly IKafkaSourceControl _source;
    private readonly PredecessorChain _predecessors;
    private readonly long _futureToleranceMs;
    private readonly long _pastToleranceMs;

    public IngestRecordHandler(string topic, IActorRef shardRegion, DeadLetterProducer deadLetters, int partitionCount,
        IKafkaSourceControl source, ILoggingAdapter log, TimestampTolerance? timestamps = null)
    {
        timestamps ??= new TimestampTolerance();
        if (timestamps.Problem() is { } problem) throw new ArgumentException(problem, nameof(timestamps));
        _futureToleranceMs = (long)timestamps.Future.TotalMilliseconds;
        _pastToleranceMs = (long)timestamps.Past.TotalMilliseconds;
        ArgumentOutOfRangeException.ThrowIfLessThan(partitionCount, 1);
        _shardRegion = shardRegion;
        _deadLetters = deadLetters;
        _partitionCount = partitionCount;
        _log = log;
        _applied = AppliedTotal.WithLabels(topic);
        _deadLettered = DeadLetteredTotal.WithLabels(topic);
        _misrouted = MisroutedTotal.WithLabels(topic);
        _source = source;
        _predecessors = new PredecessorChain(source.CommittablePosition);
    }

    public static double MisroutedCount(string topic) => MisroutedTotal.WithLabels(topic).Value;

    public static double DeadLetteredCount(string topic) => DeadLetteredTotal.WithLabels(topic).Value;

    public Task<NotUsed> Handle(ConsumedRecord record)
    {
        try
        {
            if (!KafkaRecordDecoder.TryDecode(record.Key, record.Value, record.TimestampMs, out var evt, out var keyMatched, out var reason))
                return DeadLetter(record, reason!);

            var shard = keyMatched
                ? KafkaPartitioner.PartitionFor(record.Key, _partitionCount)
                : KafkaPartitioner.PartitionFor(evt!.UserId, _partitionCount);
            if (shard != record.Partition)
            {
                _misrouted.Inc();
                DataQualityMetrics.Count(DataQualitySignal.Misrouted, record.Partition);
            }

            switch (EventTimeRules.Classify(evt!.Timestamp, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), _futureToleranceMs, _pastToleranceMs))
            {
                case EventTimeRules.TimestampVerdict.Future:
                    DataQualityMetrics.Count(DataQualitySignal.FutureTimestamp, record.Partition);
                    break;
                case EventTimeRules.TimestampVerdict.Past:
                    DataQualityMetrics.Count(DataQualitySignal.PastTimestamp, record.Partition);
                    break;
            }

            if (EventSpans.Active) EventSpans.Decoded(_source.AckTarget, record.Partition, record.Offset, evt!.UserId, shard != record.Partition);
            var previous = _predecessors.Next(record.Partition, record.Generation, evt!.UserId, record.Offset);
            var delivery = new DeliveryTag(record.Partition, record.Offset, previous, _source.AckTarget);
            _shardRegion.Tell(new ApplyEvent(evt.UserId, evt.ItemId, evt.Type, evt.Timestamp, delivery, evt.RecommendationId));
            _applied.Inc();
            return Done;
        }
        catch (Exception e)
        {
            _log.Error(e, "Record {Topic}[{Partition}]@{Offset} could not be handled; dead-lettering it", record.Topic, record.Partition, record.Offset);
            return DeadLetter(record, ReasonText.Bounded($"{DeadLetterReasons.InternalErrorPrefix}{e.GetType().Name}: {e.Message}"));
        }
    }

    private async Task<NotUsed> DeadLetter(ConsumedRecord record, string reason)
    {
        const int attempts = 5;
        if (EventSpans.Active) EventSpans.DeadLettered(_source.AckTarget, record.Partition, record.Offset, reason);
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
                _log.Warning("DLQ write of {Topic}[{Partition}]@{Offset} failed ({Reason}), retrying", record.Topic, record.Partition, record.Offset, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt)).ConfigureAwait(false);
            }
        }

        _deadLettered.Inc();
        DataQualityMetrics.CountDeadLetter(DeadLetterReasons.Classify(reason), record.Partition);
        _source.AckTarget.Tell(new EventsDurable(record.Partition, [record.Offset]), ActorRefs.NoSender);
        return NotUsed.Instance;
    }
}
