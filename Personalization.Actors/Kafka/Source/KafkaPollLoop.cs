using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Confluent.Kafka;
using Personalization.Actors.Telemetry;

namespace Personalization.Actors.Kafka.Source;

/// <summary>
/// The consumer's own thread. librdkafka's poll blocks and runs rebalance callbacks (where revoked partitions are
/// committed synchronously), so it must not run on an Akka dispatcher (docs/DESIGN.md, invariant 4). The thread owns the consumer:
/// it fetches while the stage's buffer has room (credits), applies pause/resume requests, commits the board every
/// commit interval, and closes the consumer. Everything it learns goes to the stage through <c>deliver</c>, in order.
/// </summary>
internal sealed class KafkaPollLoop
{
    // A short stall of the stage is waited out; only a longer one pauses every partition (a pause drops librdkafka's
    // prefetched data, which is fetched again on resume).
    private static readonly TimeSpan BackpressurePauseAfter = TimeSpan.FromMilliseconds(200);

    private readonly KafkaSourceSettings _settings;
    private readonly CommitBoard _board;
    private readonly KafkaSourceMetrics _metrics;
    private readonly Action<PollEvent> _deliver;
    private readonly IPartitionAssignmentListener? _listener;
    private readonly ILoggingAdapter _log;
    private readonly IActorRef? _traceSource;
    private readonly string _spanName;
    private readonly ConcurrentQueue<(int Partition, bool Pause)> _pauseRequests = new();
    private readonly ConcurrentQueue<(int Partition, long Offset)> _seekRequests = new();
    // No spinning: while backpressured this waits and wakes constantly; spinning took ~8 % of a catch-up's CPU samples.
    private readonly ManualResetEventSlim _creditsAvailable = new(false, spinCount: 0);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private readonly int _lowWatermark;

    // Poll-thread state.
    private readonly HashSet<int> _assigned = [];
    private readonly HashSet<int> _pausedByInFlight = [];
    private readonly HashSet<int> _paused = [];
    private long _nextEpoch;
    private bool _backpressured;
    private bool _pausedForBackpressure;
    private long _backpressuredSince;
    private Confluent.Kafka.Error? _fatal;
    private bool _reconcileNeeded;
    private List<ConsumedRecord> _batch = [];

    private long _buffered;
    // The consumer while it is usable from other threads (TryQueryWatermarks, TryQueryCommitted): set after it is
    // built, cleared under the gate before it is disposed, so a query never runs on a disposed handle.
    private readonly Lock _consumerGate = new();
    private IConsumer<byte[]?, byte[]?>? _queryable;
    private volatile bool _shutdownRequested;
    private volatile bool _stopFetching;
    private volatile int[] _assignedSnapshot = [];

    public KafkaPollLoop(KafkaSourceSettings settings, CommitBoard board, KafkaSourceMetrics metrics,
        Action<PollEvent> deliver, IPartitionAssignmentListener? listener, ILoggingAdapter log, IActorRef? traceSource = null)
    {
        _settings = settings;
        _board = board;
        _metrics = metrics;
        _deliver = deliver;
        _listener = listener;
        _log = log;
        _traceSource = traceSource;
        _spanName = "process " + settings.Topic;
        _lowWatermark = settings.MaxBufferedRecords / 2;
        _thread = new Thread(Run) { IsBackground = true, Name = $"kafka-poll:{settings.Topic}:{settings.ClientId}" };
    }

    /// <summary>Completes once the consumer is closed and disposed.</summary>
    public Task Completion => _completion.Task;

    public IReadOnlyCollection<int> AssignedPartitions => _assignedSnapshot;

    public long Buffered => Volatile.Read(ref _buffered);

    public long CommittablePosition(int partition) => _board.CommittablePosition(partition);

    public void Start() => _thread.Start();

    /// <summary>From the stage: <paramref name="count"/> fetched records left the buffer (emitted or dropped).</summary>
    public void ReleaseCredits(int count)
    {
        var left = Interlocked.Add(ref _buffered, -count);
        if (left <= _lowWatermark && left + count > _lowWatermark) _creditsAvailable.Set();
    }

    public void RequestPause(int partition) => _pauseRequests.Enqueue((partition, true));

    public void RequestResume(int partition) => _pauseRequests.Enqueue((partition, false));

    /// <summary>From the stage: read <paramref name="partition"/> again from <paramref name="offset"/>; answered by <see cref="PartitionRewound"/>.</summary>
    public void RequestSeek(int partition, long offset)
    {
        _seekRequests.Enqueue((partition, offset));
        _creditsAvailable.Set();
    }

    /// <summary>
    /// From any thread but the poll thread (the ingest monitor's, every few seconds; never per record): the partition's
    /// low and high watermarks asked of its leader (librdkafka's query_watermark_offsets, thread-safe; blocks up to
    /// <paramref name="timeout"/>). Asked of the broker rather than read from the fetch state, which stands still while
    /// a partition is paused — exactly when its lag grows. False when the consumer is gone or the broker did not answer.
    /// </summary>
    public bool TryQueryWatermarks(int partition, TimeSpan timeout, out long low, out long high)
    {
        low = high = -1;
        lock (_consumerGate)
        {
            if (_queryable is not { } consumer || _shutdownRequested) return false;
            try
            {
                var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(_settings.Topic, partition), timeout);
                low = watermarks.Low.Value;
                high = watermarks.High.Value;
                return high >= 0;
            }
            catch (Exception e) when (e is KafkaException or ObjectDisposedException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// From any thread but the poll thread: the group's committed offset of the partition asked of the coordinator
    /// (for a partition this member has committed nothing for yet). -1 when the group has none; false on no answer.
    /// </summary>
    public bool TryQueryCommitted(int partition, TimeSpan timeout, out long committed)
    {
        committed = -1;
        lock (_consumerGate)
        {
            if (_queryable is not { } consumer || _shutdownRequested) return false;
            try
            {
                var offsets = consumer.Committed([new TopicPartition(_settings.Topic, partition)], timeout);
                committed = offsets.Count == 1 && offsets[0].Offset.Value >= 0 ? offsets[0].Offset.Value : -1;
                return true;
            }
            catch (Exception e) when (e is KafkaException or ObjectDisposedException)
            {
                return false;
            }
        }
    }

    /// <summary>Pause everything and hand over nothing more (draining).</summary>
    public void StopFetching()
    {
        _stopFetching = true;
        _creditsAvailable.Set();
    }

    /// <summary>Commit what is committable, close the consumer, stop the thread. Idempotent, never blocks.</summary>
    public void RequestShutdown()
    {
        _shutdownRequested = true;
        _creditsAvailable.Set();
    }

    private void Run()
    {
        if (_settings.PollThreadNice != 0) Scheduling.OsThreadPriority.LowerCurrentThreadBy(_settings.PollThreadNice);
        IConsumer<byte[]?, byte[]?>? consumer = null;
        Exception? error = null;
        try
        {
            consumer = Build();
            lock (_consumerGate) _queryable = consumer;
            consumer.Subscribe(_settings.Topic);
            var commitEvery = Stopwatch.Frequency * (long)_settings.CommitInterval.TotalMilliseconds / 1000;
            var nextCommit = Stopwatch.GetTimestamp() + commitEvery;
            while (!_shutdownRequested)
            {
                if (_fatal is not null) throw new KafkaException(_fatal);
                ApplySeekRequests(consumer);
                ApplyPauseRequests(consumer);
                var now = Stopwatch.GetTimestamp();
                if (now >= nextCommit)
                {
                    CommitDue(consumer);
                    nextCommit = now + commitEvery;
                }

                if (WaitForCredits(consumer, now)) continue;
                Fetch(consumer);
            }

            CommitDue(consumer);
            consumer.Close(); // leaves the group; the revoke callback commits and reports what is left
        }
        catch (Exception e)
        {
            error = e;
            _log.Error(e, "Kafka consumer of {Topic} failed", _settings.Topic);
        }
        finally
        {
            try
            {
                lock (_consumerGate) _queryable = null;
                consumer?.Dispose();
            }
            catch (Exception e)
            {
                error ??= e;
            }

            _assignedSnapshot = [];
            _deliver(new PollLoopStopped(error));
            if (error is null) _completion.TrySetResult();
            else _completion.TrySetException(error);
        }
    }

    private IConsumer<byte[]?, byte[]?> Build() =>
        new ConsumerBuilder<byte[]?, byte[]?>(_settings.ToConsumerConfig())
            .SetKeyDeserializer(Deserializers.ByteArray)
            .SetValueDeserializer(Deserializers.ByteArray)
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((c, partitions) => OnRevoked(c, partitions, lost: false))
            .SetPartitionsLostHandler((c, partitions) => OnRevoked(c, partitions, lost: true))
            .SetErrorHandler((_, e) =>
            {
                if (e.IsFatal) _fatal = e;
                _log.Warning("Kafka consumer of {Topic}: {Reason}", _settings.Topic, e.Reason);
                _settings.OnClientError?.Invoke(e.Reason);
            })
            .SetLogHandler((_, m) =>
            {
                if (m.Level <= SyslogLevel.Error) _log.Warning("librdkafka {Facility}: {Message}", m.Facility, m.Message);
                else if (_log.IsDebugEnabled) _log.Debug("librdkafka {Facility}: {Message}", m.Facility, m.Message);
            })
            .Build();

    /// <summary>True when the stage's buffer is full and the thread waited instead of fetching.</summary>
    private bool WaitForCredits(IConsumer<byte[]?, byte[]?> consumer, long now)
    {
        var buffered = Volatile.Read(ref _buffered);
        if (!_backpressured && (buffered >= _settings.MaxBufferedRecords || _stopFetching))
        {
            _backpressured = true;
            _backpressuredSince = now;
        }
        else if (_backpressured && buffered <= _lowWatermark && !_stopFetching)
        {
            _backpressured = false;
            if (_pausedForBackpressure)
            {
                _pausedForBackpressure = false;
                Reconcile(consumer);
            }
        }

        if (!_backpressured || _pausedForBackpressure) return false;
        if (!_stopFetching && Stopwatch.GetElapsedTime(_backpressuredSince) < BackpressurePauseAfter)
        {
            _creditsAvailable.Reset();
            if (Volatile.Read(ref _buffered) > _lowWatermark) _creditsAvailable.Wait(20);
            return true;
        }

        // A long stall: pause everything, keep polling so rebalances and heartbeats are still served.
        _pausedForBackpressure = true;
        Reconcile(consumer);
        return false;
    }

    /// <summary>One poll (blocking up to the poll timeout) plus whatever is ready at once, handed over as one batch.</summary>
    private void Fetch(IConsumer<byte[]?, byte[]?> consumer)
    {
        var room = Math.Min(_settings.MaxFetchBatch, Math.Max(1, _settings.MaxBufferedRecords - (int)Volatile.Read(ref _buffered)));
        var result = Consume(consumer, _settings.PollTimeout);
        // Per-event spans (EventSpans): asked once per poll; while nothing listens the records carry nothing more.
        var traced = _traceSource is not null && EngineTracing.Source.HasListeners();
        while (result is not null)
        {
            var message = result.Message;
            _batch.Add(new ConsumedRecord(result.Topic, result.Partition.Value, result.Offset.Value, message.Key, message.Value,
                message.Timestamp.UnixTimestampMs));
            if (traced)
                EventSpans.TryStart(_traceSource!, _spanName, result.Topic, _settings.GroupId, result.Partition.Value, result.Offset.Value, message.Headers);
            if (_batch.Count >= room) break;
            result = Consume(consumer, TimeSpan.Zero);
        }

        FlushBatch();
    }

    /// <summary>Hands the records fetched so far to the stage; rebalance callbacks flush first, so the stage sees
    /// records and partition moves in the order they happened.</summary>
    private void FlushBatch()
    {
        if (_batch.Count == 0) return;
        if (_stopFetching)
        {
            _batch.Clear(); // draining: never emitted, so never committed; the next owner reads them again
            return;
        }

        Interlocked.Add(ref _buffered, _batch.Count);
        _metrics.Consumed.Inc(_batch.Count);
        _deliver(new RecordsFetched(_batch));
        _batch = new List<ConsumedRecord>(Math.Min(_settings.MaxFetchBatch, 1024));
    }

    private ConsumeResult<byte[]?, byte[]?>? Consume(IConsumer<byte[]?, byte[]?> consumer, TimeSpan timeout)
    {
        try
        {
            return consumer.Consume(timeout);
        }
        catch (ConsumeException e) when (!e.Error.IsFatal)
        {
            _log.Warning("Kafka consume error on {Topic}: {Reason}", _settings.Topic, e.Error.Reason);
            return null;
        }
    }

    /// <summary>
    /// Seeks come after every record fetched before them has been handed over, and are answered in the same ordered
    /// stream, so the stage can tell stale records (before <see cref="PartitionRewound"/>) from re-read ones (after).
    /// </summary>
    private void ApplySeekRequests(IConsumer<byte[]?, byte[]?> consumer)
    {
        while (_seekRequests.TryDequeue(out var request))
        {
            FlushBatch();
            if (!_assigned.Contains(request.Partition)) continue; // revoked meanwhile: the next owner reads from the commit
            try
            {
                consumer.Seek(new TopicPartitionOffset(_settings.Topic, request.Partition, request.Offset));
            }
            catch (KafkaException e)
            {
                _log.Warning("Kafka seek of {Topic}[{Partition}] to {Offset} failed ({Reason}); retrying", _settings.Topic, request.Partition, request.Offset, e.Error.Reason);
                _seekRequests.Enqueue(request);
                return;
            }

            _deliver(new PartitionRewound(request.Partition, request.Offset));
        }
    }

    private void ApplyPauseRequests(IConsumer<byte[]?, byte[]?> consumer)
    {
        if (_pauseRequests.IsEmpty && !_reconcileNeeded) return;
        _reconcileNeeded = false;
        while (_pauseRequests.TryDequeue(out var request))
        {
            if (!_assigned.Contains(request.Partition)) continue; // revoked meanwhile
            if (request.Pause) _pausedByInFlight.Add(request.Partition);
            else _pausedByInFlight.Remove(request.Partition);
        }

        Reconcile(consumer);
    }

    /// <summary>Brings librdkafka's paused set in line with what is wanted (all, when backpressured or draining).</summary>
    private void Reconcile(IConsumer<byte[]?, byte[]?> consumer)
    {
        List<TopicPartition>? pause = null, resume = null;
        var all = _pausedForBackpressure || _stopFetching;
        foreach (var partition in _assigned)
        {
            var want = all || _pausedByInFlight.Contains(partition);
            if (want && _paused.Add(partition)) (pause ??= []).Add(new TopicPartition(_settings.Topic, partition));
            else if (!want && _paused.Remove(partition)) (resume ??= []).Add(new TopicPartition(_settings.Topic, partition));
        }

        try
        {
            if (pause is not null) consumer.Pause(pause);
            if (resume is not null) consumer.Resume(resume);
        }
        catch (KafkaException e)
        {
            _log.Warning("Kafka pause/resume on {Topic} failed: {Reason}", _settings.Topic, e.Error.Reason);
        }
    }

    private void CommitDue(IConsumer<byte[]?, byte[]?> consumer)
    {
        var due = _board.TakeDue(_settings.Topic);
        if (due is null) return;
        try
        {
            consumer.Commit(due);
            _board.MarkCommitted(due);
            foreach (var tpo in due) _metrics.SetCommitted(tpo.Partition.Value, tpo.Offset.Value);
        }
        catch (KafkaException e)
        {
            // Typically a rebalance in progress; the same offsets are due again next interval.
            _log.Info("Kafka commit on {Topic} deferred: {Reason}", _settings.Topic, e.Error.Reason);
        }
    }

    private void OnAssigned(List<TopicPartition> partitions)
    {
        FlushBatch();
        var assigned = new List<(int, long)>(partitions.Count);
        var ids = new List<int>(partitions.Count);
        foreach (var tp in partitions)
        {
            var epoch = ++_nextEpoch;
            _board.Open(tp.Partition.Value, epoch);
            _assigned.Add(tp.Partition.Value);
            assigned.Add((tp.Partition.Value, epoch));
            ids.Add(tp.Partition.Value);
        }

        _assignedSnapshot = [.. _assigned];
        _deliver(new PartitionsAssigned(assigned));
        _log.Info("Kafka {Topic}/{Group} assigned partitions [{Partitions}]", _settings.Topic, _settings.GroupId, string.Join(",", ids));
        Notify(l => l.OnAssigned(ids));
        // New partitions start unpaused; the next loop pauses them if we are backpressured or draining (the
        // assignment itself happens after this callback returns).
        _reconcileNeeded = true;
    }

    private void OnRevoked(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartitionOffset> partitions, bool lost)
    {
        FlushBatch();
        var ids = new List<int>(partitions.Count);
        List<TopicPartitionOffset>? commits = null;
        foreach (var tpo in partitions)
        {
            var id = tpo.Partition.Value;
            ids.Add(id);
            var offset = _board.Close(id);
            if (offset >= 0 && !lost) (commits ??= []).Add(new TopicPartitionOffset(_settings.Topic, id, offset));
            _assigned.Remove(id);
            _paused.Remove(id);
            _pausedByInFlight.Remove(id);
        }

        if (commits is not null)
        {
            try
            {
                consumer.Commit(commits); // still the owner: the rebalance waits for this callback
                foreach (var tpo in commits) _metrics.SetCommitted(tpo.Partition.Value, tpo.Offset.Value);
            }
            catch (KafkaException e)
            {
                _log.Warning("Kafka commit of revoked partitions of {Topic} failed: {Reason}", _settings.Topic, e.Error.Reason);
            }
        }

        _assignedSnapshot = [.. _assigned];
        _deliver(new PartitionsRevoked(ids, lost));
        _log.Info("Kafka {Topic}/{Group} {Change} partitions [{Partitions}]", _settings.Topic, _settings.GroupId, lost ? "lost" : "revoked", string.Join(",", ids));
        Notify(l => l.OnRevoked(ids, lost));
    }

    private void Notify(Action<IPartitionAssignmentListener> call)
    {
        if (_listener is null) return;
        try
        {
            call(_listener);
        }
        catch (Exception e)
        {
            _log.Error(e, "Partition assignment listener failed");
        }
    }
}
