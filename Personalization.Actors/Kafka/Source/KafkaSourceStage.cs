using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Stage;
using Personalization.Actors.Delivery;
using Personalization.Actors.Ingest;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;

namespace Personalization.Actors.Kafka.Source;

/// <summary>
/// The source stage: buffers what the poll thread fetched per partition, emits on demand (round robin over the
/// partitions that are under their in-flight bound, so one stalled partition never blocks the others), tracks
/// emitted/acknowledged offsets and publishes acknowledged prefixes for the poll thread to commit.
/// </summary>
internal sealed class KafkaSourceStage(KafkaSourceSettings settings, IPartitionAssignmentListener? listener)
    : GraphStageWithMaterializedValue<SourceShape<ConsumedRecord>, IKafkaSourceControl>
{
    private readonly Outlet<ConsumedRecord> _out = new("KafkaEventSource.out");
    private readonly KafkaSourceSettings _settings = settings;
    private readonly IPartitionAssignmentListener? _listener = listener;

    public override SourceShape<ConsumedRecord> Shape => new(_out);

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("KafkaEventSource");

    public override ILogicAndMaterializedValue<IKafkaSourceControl> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var control = new KafkaSourceControl();
        return new LogicAndMaterializedValue<IKafkaSourceControl>(new Logic(this, control), control);
    }

    private sealed class PartitionState(int partition, long epoch)
    {
        public readonly int Partition = partition;
        public readonly long Epoch = epoch;
        public OffsetTracker Tracker = new(256);
        public readonly Queue<ConsumedRecord> Buffer = new();
        public bool InReadyQueue;
        public bool Paused;
        public bool Removed;
        public long Published = -1;

        /// <summary>Bumped by every rewind; stamped on the records emitted since.</summary>
        public long Generation;

        /// <summary>A seek is under way: records fetched before it are stale and dropped.</summary>
        public bool Rewinding;

        /// <summary>When the acknowledged prefix last moved (or the partition last went from idle to in flight).</summary>
        public long LastProgress = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    private sealed class Logic : TimerGraphStageLogic
    {
        private const string DrainTimer = "drain";
        private const string MetricsTimer = "metrics";

        private readonly KafkaSourceStage _stage;
        private readonly KafkaSourceControl _control;
        private readonly KafkaSourceSettings _settings;
        private readonly KafkaSourceMetrics _metrics;
        private readonly CommitBoard _board = new();
        private readonly Dictionary<int, PartitionState> _partitions = new();
        private readonly Queue<PartitionState> _ready = new();
        private readonly int _resumeBelow;
        private KafkaPollLoop? _loop;
        private bool _draining;
        private bool _shuttingDown;
        private int _inFlight;
        private int _pausedCount;
        private int _unreleasedCredits;
        private readonly int _creditBatch;

        public Logic(KafkaSourceStage stage, KafkaSourceControl control) : base(stage.Shape)
        {
            _stage = stage;
            _control = control;
            _settings = stage._settings;
            _metrics = new KafkaSourceMetrics(_settings.Topic, _settings.GroupId);
            _resumeBelow = Math.Max(1, _settings.MaxInFlightPerPartition / 2);
            _creditBatch = Math.Clamp(_settings.MaxBufferedRecords / 8, 1, 256);
            SetHandler(stage._out, onPull: TryEmit, onDownstreamFinish: _ => ShutdownNow(completeAtOnce: true));
        }

        public override void PreStart()
        {
            var self = GetStageActor(OnMessage).Ref;
            var events = GetAsyncCallback<PollEvent>(OnPollEvent);
            var commands = GetAsyncCallback<SourceCommand>(OnCommand);
            _loop = new KafkaPollLoop(_settings, _board, _metrics, events, _stage._listener, Log);
            _control.Attach(commands, self, _loop, _board);
            _loop.Start();
            ScheduleRepeatedly(MetricsTimer, TimeSpan.FromMilliseconds(250));
        }

        public override void PostStop()
        {
            _loop?.RequestShutdown();
            UpdateGauges();
        }

        protected override void OnTimer(object timerKey)
        {
            if (DrainTimer.Equals(timerKey))
            {
                Log.Warning("Kafka source {0}: drain timed out with {1} records unacknowledged; committing the acknowledged prefix", _settings.Topic, _inFlight);
                ShutdownNow(completeAtOnce: false);
            }
            else
            {
                UpdateGauges();
                RewindStalledPartitions();
            }
        }

        /// <summary>A partition whose oldest unacknowledged record has not moved for the redelivery timeout is read again.</summary>
        private void RewindStalledPartitions()
        {
            if (_draining) return;
            foreach (var state in _partitions.Values)
            {
                if (state.Tracker.InFlight > 0 && !state.Rewinding &&
                    System.Diagnostics.Stopwatch.GetElapsedTime(state.LastProgress) > _settings.RedeliveryTimeout)
                    Rewind(state, "timeout");
            }
        }

        /// <summary>
        /// Reads the partition again from its oldest unacknowledged offset. Users skip what they already applied (by
        /// offset), so re-reading is always safe; it is how an event lost on its way to a user is found again.
        /// </summary>
        private void Rewind(PartitionState state, string reason)
        {
            if (state.Rewinding || state.Removed) return;
            var from = state.Tracker.FirstUnacked;
            if (from < 0) return;
            Log.Warning("Kafka source {0}: reading partition {1} again from offset {2} ({3}; {4} records unacknowledged)",
                _settings.Topic, state.Partition, from, reason, state.Tracker.InFlight);
            _metrics.Rewinds(reason).Inc();
            state.Rewinding = true;
            if (state.Buffer.Count > 0) _loop!.ReleaseCredits(state.Buffer.Count);
            state.Buffer.Clear();
            _loop!.RequestSeek(state.Partition, from);
        }

        private void TryEmit()
        {
            if (_draining || !IsAvailable(_stage._out)) return;
            while (_ready.TryDequeue(out var state))
            {
                state.InReadyQueue = false;
                if (state.Removed) continue;
                while (state.Buffer.Count > 0 && state.Tracker.InFlight < _settings.MaxInFlightPerPartition)
                {
                    var record = state.Buffer.Dequeue();
                    // Credits go back to the poll thread in batches (one interlocked op per batch, not per record), and
                    // all of them once nothing is buffered, so the thread never waits on credits the stage sits on.
                    if (++_unreleasedCredits >= _creditBatch || (state.Buffer.Count == 0 && _ready.Count == 0)) ReleaseCredits();
                    if (state.Tracker.InFlight == 0) state.LastProgress = System.Diagnostics.Stopwatch.GetTimestamp();
                    if (!state.Tracker.Emitted(record.Offset)) continue; // a re-fetch of an offset already emitted
                    record.Generation = state.Generation;
                    _inFlight++;
                    if (state.Tracker.InFlight >= _settings.MaxInFlightPerPartition && !state.Paused)
                    {
                        state.Paused = true;
                        _pausedCount++;
                        _loop!.RequestPause(state.Partition);
                    }

                    MarkReady(state);
                    Push(_stage._out, record);
                    return;
                }
            }
        }

        private void ReleaseCredits()
        {
            _loop!.ReleaseCredits(_unreleasedCredits);
            _unreleasedCredits = 0;
        }

        private void MarkReady(PartitionState state)
        {
            if (state.InReadyQueue || state.Removed || state.Rewinding || state.Buffer.Count == 0 ||
                state.Tracker.InFlight >= _settings.MaxInFlightPerPartition) return;
            state.InReadyQueue = true;
            _ready.Enqueue(state);
        }

        private void OnMessage((IActorRef Sender, object Message) args)
        {
            if (args.Message is RedeliveryNeeded redelivery)
            {
                if (_partitions.TryGetValue(redelivery.Partition, out var lost) && !_draining) Rewind(lost, "lost-event");
                return;
            }

            if (args.Message is not EventsDurable durable) return;
            if (!_partitions.TryGetValue(durable.Partition, out var state)) return; // revoked meanwhile: the next owner re-reads
            var accepted = state.Tracker.Ack(durable.Offsets);
            if (accepted == 0) return;
            _inFlight -= accepted;
            _metrics.Acked.Inc(accepted);
            if (state.Tracker.Committable > state.Published)
            {
                state.Published = state.Tracker.Committable;
                state.LastProgress = System.Diagnostics.Stopwatch.GetTimestamp();
                _board.Publish(state.Partition, state.Epoch, state.Published);
            }

            if (state.Paused && state.Tracker.InFlight < _resumeBelow)
            {
                state.Paused = false;
                _pausedCount--;
                _loop!.RequestResume(state.Partition);
            }

            if (_draining)
            {
                if (_inFlight == 0) ShutdownNow(completeAtOnce: false);
                return;
            }

            MarkReady(state);
            TryEmit();
        }

        private void OnPollEvent(PollEvent pollEvent)
        {
            switch (pollEvent)
            {
                case RecordsFetched fetched:
                    var dropped = 0;
                    foreach (var record in fetched.Records)
                    {
                        if (!_draining && _partitions.TryGetValue(record.Partition, out var state) && !state.Rewinding)
                        {
                            state.Buffer.Enqueue(record);
                            MarkReady(state);
                        }
                        else dropped++;
                    }

                    if (dropped > 0) _loop!.ReleaseCredits(dropped);
                    TryEmit();
                    break;
                case PartitionsAssigned assigned:
                    foreach (var (partition, epoch) in assigned.Partitions)
                    {
                        if (_partitions.Remove(partition, out var old)) Forget(old);
                        _partitions[partition] = new PartitionState(partition, epoch);
                    }

                    break;
                case PartitionsRevoked revoked:
                    foreach (var partition in revoked.Partitions)
                        if (_partitions.Remove(partition, out var state)) Forget(state);
                    if (_draining && _inFlight == 0) ShutdownNow(completeAtOnce: false);
                    break;
                case PartitionRewound rewound:
                    if (_partitions.TryGetValue(rewound.Partition, out var rewinding) && rewinding.Rewinding)
                    {
                        // A fresh tracker: the re-read offsets are emitted again (acks still due for the old ones are
                        // true all the same — they only come for durable events — and land in this tracker or nowhere).
                        _inFlight -= rewinding.Tracker.InFlight;
                        rewinding.Tracker = new OffsetTracker(256);
                        rewinding.Generation++;
                        rewinding.Rewinding = false;
                        rewinding.LastProgress = System.Diagnostics.Stopwatch.GetTimestamp();
                        if (rewinding.Paused)
                        {
                            rewinding.Paused = false;
                            _pausedCount--;
                            _loop!.RequestResume(rewinding.Partition);
                        }

                        if (_draining && _inFlight == 0) ShutdownNow(completeAtOnce: false);
                    }

                    break;
                case PollLoopStopped stopped:
                    if (stopped.Error is null) CompleteStage();
                    else FailStage(stopped.Error);
                    break;
            }
        }

        /// <summary>Drops a partition we no longer own: its buffered records, its tracker, its in-flight count.</summary>
        private void Forget(PartitionState state)
        {
            state.Removed = true;
            if (state.Buffer.Count > 0) _loop!.ReleaseCredits(state.Buffer.Count);
            state.Buffer.Clear();
            _inFlight -= state.Tracker.InFlight;
            if (state.Paused) _pausedCount--;
        }

        private void OnCommand(SourceCommand command)
        {
            switch (command)
            {
                case DrainCommand drain when !_draining && !_shuttingDown:
                    _draining = true;
                    _loop!.StopFetching();
                    foreach (var state in _partitions.Values)
                    {
                        if (state.Buffer.Count > 0) _loop.ReleaseCredits(state.Buffer.Count);
                        state.Buffer.Clear();
                    }

                    if (_inFlight == 0) ShutdownNow(completeAtOnce: false);
                    else ScheduleOnce(DrainTimer, drain.Timeout);
                    break;
                case ShutdownCommand:
                    ShutdownNow(completeAtOnce: false);
                    break;
            }
        }

        /// <summary>
        /// Asks the poll thread to commit the published prefixes and close the consumer; the stage completes when it
        /// reports the consumer closed (or at once when downstream is gone).
        /// </summary>
        private void ShutdownNow(bool completeAtOnce)
        {
            _draining = true;
            CancelTimer(DrainTimer);
            if (!_shuttingDown)
            {
                _shuttingDown = true;
                _loop?.RequestShutdown();
            }

            if (completeAtOnce) CompleteStage();
        }

        private void UpdateGauges()
        {
            _metrics.InFlight.Set(_inFlight);
            _metrics.PausedPartitions.Set(_pausedCount);
            _control.Report(_inFlight, _pausedCount);
            _metrics.Buffered.Set(_loop?.Buffered ?? 0);
        }
    }
}
