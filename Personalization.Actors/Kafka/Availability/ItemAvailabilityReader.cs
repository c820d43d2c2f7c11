using System.Collections.Frozen;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Personalization.Actors.Events;
using Personalization.Actors.Filters;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Kafka.Source;
using Personalization.Actors.Telemetry;

namespace Personalization.Actors.Kafka.Availability;

/// <summary>
/// Follows the item-availability topic on this node (docs/DESIGN.md, "Business filters"). Every node reads every
/// partition from the beginning — by assignment, in no consumer group and committing nothing, because each node must
/// see every record — and keeps the withdrawn items in an <see cref="AvailabilitySnapshot"/> it swaps into
/// <see cref="ItemAvailability"/> after each batch, so queries read it without a lock.
/// <para>A thread of its own owns the consumer (librdkafka's poll blocks). At start it asks each partition's end
/// offset and is "caught up" once it has read up to them all (end-of-partition events mark the end, past transaction
/// markers and compaction gaps); until then <see cref="Check"/> says it is not ready and how far it got. A topic that
/// does not exist has nothing withdrawn: the reader is ready, says so, and looks for the topic again every
/// <see cref="ItemAvailabilityReaderSettings.MetadataInterval"/>.</para>
/// <para>A record that is not an availability record (<see cref="AvailabilityRecordJson"/>) changes nothing and goes
/// to <c>&lt;topic&gt;.dlq</c> with its reason; the reader goes on. Each node reads every record, and every start reads
/// the topic again, so a node dead-letters only records that arrived while it runs (offsets from the end it saw when
/// it first read the partition), once: a bad record already in the topic at start is counted and skipped, not written
/// to the DLQ again on every restart. A failed consumer is replaced by a new one that reads the topic again from the
/// start; the last snapshot keeps serving until the new one has caught up.</para>
/// </summary>
public sealed class ItemAvailabilityReader : IDisposable
{
    private const int MaxBatch = 1_000;
    private static readonly TimeSpan MaxRestartBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan BrokerTimeout = TimeSpan.FromSeconds(5);

    private readonly ItemAvailabilityReaderSettings _settings;
    private readonly ItemAvailability _target;
    private readonly DeadLetterProducer? _deadLetters;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Per partition, the first offset this process has not yet seen: records from there on arrived while it ran.
    private readonly Dictionary<int, long> _liveFrom = [];
    private volatile ReaderState _state = ReaderState.Starting;
    private volatile string? _lastError;
    private bool _passCaughtUp; // the reader thread's own
    private int _disposed;

    public ItemAvailabilityReader(ItemAvailabilityReaderSettings settings, ItemAvailability target, DeadLetterProducer? deadLetters, ILogger log, TimeProvider? time = null)
    {
        LibrdkafkaLoader.EnsureLoaded();
        _settings = settings;
        _target = target;
        _deadLetters = deadLetters;
        _log = log;
        _time = time ?? TimeProvider.System;
        _thread = new Thread(Run) { IsBackground = true, Name = $"availability:{settings.Topic}" };
    }

    public string Topic => _settings.Topic;

    /// <summary>Completes once the topic has been read up to the end offsets it had at start (or was found not to exist).</summary>
    public Task CaughtUp => _caughtUp.Task;

    public bool IsCaughtUp => _caughtUp.Task.IsCompleted;

    public void Start() => _thread.Start();

    /// <summary>Ready once caught up; the detail says how far the start-up read got, or what the reader follows now.</summary>
    public (bool Ready, string Detail) Check()
    {
        var state = _state;
        var error = _lastError is { } e ? $"; last client error: {e}" : "";
        if (!IsCaughtUp)
        {
            return (false, state.Partitions == 0
                ? $"looking up the topic {Topic} at {_settings.BootstrapServers}{error}"
                : $"reading {Topic} up to its end offsets at start: {state.Done} of {state.Total} offsets of {Count(state.Partitions, "partition")}{error}");
        }

        if (state.TopicMissing && state.Partitions == 0)
            return (true, $"{Topic} does not exist: no item is withdrawn (looked up every {_settings.MetadataInterval.TotalSeconds:0} s)");
        var rereading = state.Rereading ? $"; reading {Topic} again after a consumer failure, serving the last snapshot meanwhile{error}" : "";
        return (true, $"{Count(_target.Current.Count, "item")} withdrawn; following {Topic} ({Count(state.Partitions, "partition")}){rereading}");
    }

    /// <summary>Waits (bounded) until this node's snapshot reflects the record at <paramref name="partition"/>/<paramref name="offset"/>.</summary>
    public async Task<bool> WaitUntilReflectedAsync(int partition, long offset, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);
        while (!_target.Current.Reflects(partition, offset))
        {
            if (_time.GetTimestamp() >= deadline) return false;
            await Task.Delay(TimeSpan.FromMilliseconds(10), _time, ct).ConfigureAwait(false);
        }

        return true;
    }

    private void Run()
    {
        var backoff = _settings.RestartBackoff;
        var pass = 0;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                ReadWithNewConsumer(rereading: pass++ > 0);
                return;
            }
            catch (Exception e) when (!_stop.IsCancellationRequested)
            {
                if (_passCaughtUp) backoff = _settings.RestartBackoff; // it ran well before it failed: not a failure in a row
                _lastError = ReasonText.Bounded(e.Message);
                _log.LogWarning("The item availability reader of {Topic} failed ({Reason}); a new consumer reads it again from the start in {Backoff} s",
                    Topic, _lastError, backoff.TotalSeconds);
                _stop.Token.WaitHandle.WaitOne(backoff);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxRestartBackoff.Ticks));
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private void ReadWithNewConsumer(bool rereading)
    {
        using var consumer = BuildConsumer();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var read = new AvailabilityReadPass(rereading);
        var started = _time.GetTimestamp();
        var nextLookup = 0L;
        _passCaughtUp = false;
        _state = _state with { Rereading = rereading };
        while (!_stop.IsCancellationRequested)
        {
            var now = _time.GetTimestamp();
            if (now >= nextLookup)
            {
                var found = LookUpPartitions(consumer, admin, read);
                nextLookup = now + Ticks(found ? _settings.MetadataInterval : TimeSpan.FromSeconds(1));
            }

            if (read.Partitions.Count == 0)
            {
                if (read.TopicMissing) CaughtUpNow(read, started);
                Publish(read);
                _stop.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
                continue;
            }

            for (var batch = 0; batch < MaxBatch; batch++)
            {
                var result = Consume(consumer, batch == 0 ? TimeSpan.FromMilliseconds(100) : TimeSpan.Zero);
                if (result is null) break;
                if (result.IsPartitionEOF) read.ReachedEnd(result.Partition.Value, result.Offset.Value);
                else Apply(read, result);
            }

            _state = _state with
            {
                Done = read.Partitions.Values.Sum(p => Math.Min(p.Next, p.Target) - p.Low),
                Total = read.Partitions.Values.Sum(p => p.Target - p.Low),
            };
            if (!read.CaughtUp && read.AtTargets()) CaughtUpNow(read, started);
            Publish(read);
        }
    }

    private ConsumeResult<byte[]?, byte[]?>? Consume(IConsumer<byte[]?, byte[]?> consumer, TimeSpan timeout)
    {
        try
        {
            return consumer.Consume(timeout);
        }
        catch (ConsumeException e) when (!e.Error.IsFatal)
        {
            // A partition-level error (leader moving, topic being deleted): librdkafka retries; say so in the health detail.
            _lastError = ReasonText.Bounded(e.Error.Reason);
            return null;
        }
    }

    /// <summary>Assigns partitions not read yet, from the beginning. False when the topic could not be looked up (retry soon).</summary>
    private bool LookUpPartitions(IConsumer<byte[]?, byte[]?> consumer, IAdminClient admin, AvailabilityReadPass read)
    {
        Metadata metadata;
        try
        {
            // Every topic, not this one by name: asking for a topic's metadata may create it where brokers auto-create topics.
            metadata = admin.GetMetadata(BrokerTimeout);
        }
        catch (KafkaException e)
        {
            _lastError = ReasonText.Bounded(e.Error.Reason);
            return false;
        }

        _lastError = null; // the brokers answer again
        var topic = metadata.Topics.FirstOrDefault(t => t.Topic == Topic);
        if (topic is null || topic.Error.Code == ErrorCode.UnknownTopicOrPart)
        {
            if (!read.TopicMissing && read.Partitions.Count == 0)
                _log.LogWarning("The item availability topic {Topic} does not exist: no item is withdrawn until it is created (looked up every {Seconds} s)",
                    Topic, _settings.MetadataInterval.TotalSeconds);
            read.TopicMissing = true;
            _state = _state with { TopicMissing = true };
            return true;
        }

        if (topic.Error.IsError)
        {
            _lastError = ReasonText.Bounded(topic.Error.Reason);
            return false;
        }

        read.TopicMissing = false;
        var added = topic.Partitions.Select(p => p.PartitionId).Where(p => !read.Partitions.ContainsKey(p)).Order().ToList();
        if (added.Count == 0) return true;
        var ends = new List<(int Partition, WatermarkOffsets Watermarks)>(added.Count);
        try
        {
            foreach (var partition in added) ends.Add((partition, consumer.QueryWatermarkOffsets(new TopicPartition(Topic, partition), BrokerTimeout)));
        }
        catch (KafkaException e)
        {
            _lastError = ReasonText.Bounded(e.Error.Reason);
            return false; // none of them is taken on: a partition counted but not assigned would never reach its end
        }

        foreach (var (partition, watermarks) in ends)
        {
            read.Partitions[partition] = new PartitionProgress(watermarks.Low.Value, watermarks.High.Value);
            _liveFrom.TryAdd(partition, watermarks.High.Value);
        }

        consumer.IncrementalAssign(added.Select(p => new TopicPartitionOffset(Topic, p, Offset.Beginning)));
        if (read.CaughtUp)
            _log.LogInformation("Item availability: reading {Count} new partitions of {Topic} from the start", added.Count, Topic);
        _state = _state with { TopicMissing = false, Partitions = read.Partitions.Count };
        return true;
    }

    private void Apply(AvailabilityReadPass read, ConsumeResult<byte[]?, byte[]?> result)
    {
        var partition = result.Partition.Value;
        var offset = result.Offset.Value;
        var progress = read.Partitions[partition];
        progress.Next = Math.Max(progress.Next, offset + 1);
        read.PositionsChanged = true;
        // New to this process (it arrived while the node runs): dead-lettered if bad, and its lag is measured.
        var fresh = offset >= _liveFrom.GetValueOrDefault(partition);
        if (fresh) _liveFrom[partition] = offset + 1;

        var key = result.Message.Key;
        var value = result.Message.Value;
        if (!AvailabilityRecordJson.TryDecode(key, value, out var update, out var reason))
        {
            AvailabilityMetrics.Invalid.Inc();
            read.Invalid++;
            if (fresh) DeadLetter(result, reason!);
            return;
        }

        AvailabilityMetrics.Applied.Inc();
        if (update!.Available)
        {
            if (read.Withdrawn.Remove(update.ItemId)) read.WithdrawnChanged = true;
        }
        else
        {
            read.Withdrawn[update.ItemId] = new WithdrawnItem(update.ItemId, update.Reason, update.By, result.Message.Timestamp.UtcDateTime, partition, offset);
            read.WithdrawnChanged = true;
        }

        if (fresh && result.Message.Timestamp.Type != TimestampType.NotAvailable)
        {
            var lag = (_time.GetUtcNow() - result.Message.Timestamp.UtcDateTime).TotalSeconds;
            AvailabilityMetrics.LastAppliedLag.Set(Math.Max(0, lag));
        }

        if (fresh && _log.IsEnabled(LogLevel.Debug))
            _log.LogDebug("Item {Item} is {State} cluster-wide ({Reason})", update.ItemId, update.Available ? "available" : "withdrawn", update.Reason ?? "no reason given");
    }

    private void DeadLetter(ConsumeResult<byte[]?, byte[]?> result, string reason)
    {
        _log.LogWarning("Availability record {Topic} {Partition}/{Offset} refused, item availability unchanged: {Reason}",
            Topic, result.Partition.Value, result.Offset.Value, reason);
        if (_deadLetters is null) return;
        var record = new ConsumedRecord(Topic, result.Partition.Value, result.Offset.Value, result.Message.Key, result.Message.Value,
            result.Message.Timestamp.UnixTimestampMs);
        // Not awaited: nothing is committed here, so the reader never waits for the DLQ (a failed write is logged).
        _deadLetters.SendAsync(record, reason).ContinueWith(
            t => _log.LogWarning("Availability record {Topic} {Partition}/{Offset} could not be dead-lettered: {Reason}",
                Topic, record.Partition, record.Offset, t.Exception!.GetBaseException().Message),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private void CaughtUpNow(AvailabilityReadPass read, long started)
    {
        if (read.CaughtUp) return;
        read.CaughtUp = true;
        _passCaughtUp = true;
        read.PositionsChanged = read.WithdrawnChanged = true; // publish what the pass read, even if it is nothing
        Publish(read);
        var seconds = _time.GetElapsedTime(started).TotalSeconds;
        if (read.Partitions.Count > 0)
            _log.LogInformation(
                "Item availability: read {Topic} to its end offsets at start ({Partitions} partitions, {Invalid} invalid records skipped) in {Seconds:0.0} s: {Withdrawn} items withdrawn",
                Topic, read.Partitions.Count, read.Invalid, seconds, read.Withdrawn.Count);
        _state = _state with { Rereading = false, TopicMissing = read.TopicMissing };
        AvailabilityMetrics.CaughtUp.Set(1);
        _caughtUp.TrySetResult();
    }

    /// <summary>
    /// Swaps in what the pass has read. The first pass publishes its backlog as it goes (better than nothing before the
    /// node is ready); a pass that reads the topic again after a failure publishes only once it has caught up, since
    /// its partial set would show items as available whose withdrawal it has not reached yet.
    /// </summary>
    private void Publish(AvailabilityReadPass read)
    {
        if (!read.WithdrawnChanged && !read.PositionsChanged) return;
        if (!read.CaughtUp && (read.Rereading || _time.GetElapsedTime(read.LastPublished) < _settings.BacklogPublishInterval)) return;
        if (read.WithdrawnChanged) read.Frozen = read.Withdrawn.ToFrozenDictionary(StringComparer.Ordinal);
        var positions = read.Partitions.ToFrozenDictionary(p => p.Key, p => p.Value.Next);
        _target.Publish(new AvailabilitySnapshot(read.Frozen, positions));
        AvailabilityMetrics.WithdrawnItems.Set(read.Frozen.Count);
        read.WithdrawnChanged = read.PositionsChanged = false;
        read.LastPublished = _time.GetTimestamp();
    }

    private IConsumer<byte[]?, byte[]?> BuildConsumer()
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = _settings.BootstrapServers,
            // Assigned, never subscribed or committed: the client wants a group id, no broker group is ever joined.
            GroupId = _settings.ClientId,
            ClientId = _settings.ClientId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            IsolationLevel = IsolationLevel.ReadCommitted,
            // A withdrawal should reach every node at once: a fetch that found nothing returns after 100 ms, not
            // librdkafka's 500 (an idle node then sends a few fetches a second per broker; the topic is small).
            FetchWaitMaxMs = 100,
        };
        KafkaClientProperties.Apply(config, _settings.Properties, KafkaClientProperties.ConsumerOwned, "availability consumer");
        config.EnablePartitionEof = true; // after the properties: the end of each partition is how the start-up read knows it is done
        return new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetKeyDeserializer(Deserializers.ByteArray!)
            .SetValueDeserializer(Deserializers.ByteArray!)
            .SetErrorHandler((_, e) =>
            {
                _lastError = ReasonText.Bounded(e.Reason);
                if (e.IsFatal) _log.LogWarning("The item availability consumer of {Topic} failed: {Reason}", Topic, e.Reason);
            })
            .SetLogHandler((_, m) =>
            {
                if (m.Level <= SyslogLevel.Error) _log.LogWarning("librdkafka {Facility}: {Message}", m.Facility, m.Message);
            })
            .Build();
    }

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stop.Cancel();
        if (_thread.IsAlive && !_thread.Join(TimeSpan.FromSeconds(10)))
            _log.LogWarning("The item availability reader of {Topic} did not stop within 10 s; leaving its thread behind", Topic);
        _stop.Dispose();
    }

    /// <summary>How far the reader is, for <see cref="Check"/> (written by the reader's thread, read by probes).</summary>
    private sealed record ReaderState(int Partitions, long Done, long Total, bool TopicMissing, bool Rereading)
    {
        public static readonly ReaderState Starting = new(0, 0, 0, false, false);
    }
}
