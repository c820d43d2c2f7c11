using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Stage;
using Personalization.Actors.Delivery;
using Personalization.Actors.Telemetry;

namespace Personalization.Actors.Kafka.Source;

/// <summary>
/// The source stage: hands what the poll thread fetched to <see cref="PartitionFlow"/> (the policy: buffering, round
/// robin, in-flight bounds, rewinds), emits on demand, carries out the flow's pause/resume/seek requests on the poll
/// thread, publishes acknowledged prefixes for the poll thread to commit, and drains.
/// </summary>
internal sealed class KafkaSourceStage(KafkaSourceSettings settings, IPartitionAssignmentListener? listener, KafkaSourceControl? control = null)
    : GraphStageWithMaterializedValue<SourceShape<ConsumedRecord>, IKafkaSourceControl>
{
    private readonly Outlet<ConsumedRecord> _out = new("KafkaEventSource.out");
    private readonly KafkaSourceSettings _settings = settings;
    private readonly IPartitionAssignmentListener? _listener = listener;
    private readonly KafkaSourceControl? _control = control;

    public override SourceShape<ConsumedRecord> Shape => new(_out);

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("KafkaEventSource");

    public override ILogicAndMaterializedValue<IKafkaSourceControl> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        // A control handed in is claimed by this one materialization (it attaches to one stage's poll loop).
        var claimed = _control is null ? new KafkaSourceControl() : _control.Claim();
        return new LogicAndMaterializedValue<IKafkaSourceControl>(new Logic(this, claimed), claimed);
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
        private readonly PartitionFlow _flow;
        private KafkaPollLoop? _loop;
        private IActorRef _self = ActorRefs.Nobody;
        private long _nextSpanSweep;
        private bool _draining;
        private bool _shuttingDown;
        private int _unreleasedCredits;
        private readonly int _creditBatch;

        public Logic(KafkaSourceStage stage, KafkaSourceControl control) : base(stage.Shape)
        {
            _stage = stage;
            _control = control;
            _settings = stage._settings;
            _metrics = new KafkaSourceMetrics(_settings.Topic, _settings.GroupId);
            _flow = new PartitionFlow(_settings.MaxInFlightPerPartition, _settings.RedeliveryTimeout);
            _creditBatch = Math.Clamp(_settings.MaxBufferedRecords / 8, 1, 256);
            SetHandler(stage._out, onPull: TryEmit, onDownstreamFinish: _ => ShutdownNow(completeAtOnce: true));
        }

        public override void PreStart()
        {
            var self = GetStageActor(OnMessage).Ref;
            _self = self;
            var events = GetAsyncCallback<PollEvent>(OnPollEvent);
            var commands = GetAsyncCallback<SourceCommand>(OnCommand);
            _loop = new KafkaPollLoop(_settings, _board, _metrics, events, _stage._listener, Log, traceSource: self);
            _control.Attach(commands, self, _loop, _board);
            _loop.Start();
            ScheduleRepeatedly(MetricsTimer, TimeSpan.FromMilliseconds(250));
        }

        public override void PostStop()
        {
            _loop?.RequestShutdown();
            UpdateGauges();
            EventSpans.Abandon(_self, partition: null, fromOffset: 0, "stopped");
        }

        protected override void OnTimer(object timerKey)
        {
            if (DrainTimer.Equals(timerKey))
            {
                Log.Warning("Kafka source {Topic}: drain timed out with {InFlight} records unacknowledged; committing the acknowledged prefix", _settings.Topic, _flow.InFlight);
                ShutdownNow(completeAtOnce: false);
            }
            else
            {
                UpdateGauges();
                RewindStalledPartitions();
                SweepSpans();
            }
        }

        /// <summary>Spans whose acknowledgement never came (a record dropped on the way) end after a while, as abandoned.</summary>
        private void SweepSpans()
        {
            if (!EventSpans.Active || Environment.TickCount64 < _nextSpanSweep) return;
            _nextSpanSweep = Environment.TickCount64 + 10_000;
            EventSpans.Sweep(_self, TimeSpan.FromTicks(Math.Max(TimeSpan.FromMinutes(1).Ticks, 2 * _settings.RedeliveryTimeout.Ticks)));
        }

        /// <summary>A partition whose oldest unacknowledged record has not moved for the redelivery timeout is read again.</summary>
        private void RewindStalledPartitions()
        {
            if (_draining) return;
            foreach (var partition in _flow.Stalled()) Rewind(partition, "timeout");
        }

        /// <summary>
        /// Reads the partition again from its oldest unacknowledged offset. Users skip what they already applied (by
        /// offset), so re-reading is always safe; it is how an event lost on its way to a user is found again.
        /// </summary>
        private void Rewind(int partition, string reason)
        {
            var (from, dropped) = _flow.BeginRewind(partition);
            if (from < 0) return;
            Log.Warning("Kafka source {Topic}: reading partition {Partition} again from offset {Offset} ({Reason})", _settings.Topic, partition, from, reason);
            _metrics.Rewinds(reason).Inc();
            EventSpans.Abandon(_self, partition, from, "rewound");
            if (dropped > 0) _loop!.ReleaseCredits(dropped);
            _loop!.RequestSeek(partition, from);
        }

        private void TryEmit()
        {
            if (_draining || !IsAvailable(_stage._out)) return;
            var emitted = _flow.TryNext(out var record, out var taken, out var pause);
            // Credits go back to the poll thread in batches (one interlocked op per batch, not per record), and all of
            // them once nothing is buffered, so the thread never waits on credits the stage sits on.
            _unreleasedCredits += taken;
            if (_unreleasedCredits >= _creditBatch || (_unreleasedCredits > 0 && !_flow.CanEmit)) ReleaseCredits();
            if (pause >= 0) _loop!.RequestPause(pause);
            if (emitted) Push(_stage._out, record!);
        }

        private void ReleaseCredits()
        {
            _loop!.ReleaseCredits(_unreleasedCredits);
            _unreleasedCredits = 0;
        }

        private void OnMessage((IActorRef Sender, object Message) args)
        {
            if (args.Message is RedeliveryNeeded redelivery)
            {
                if (!_draining) Rewind(redelivery.Partition, "lost-event");
                return;
            }

            if (args.Message is not EventsDurable durable) return;
            if (EventSpans.Active) EventSpans.Durable(_self, durable.Partition, durable.Offsets);
            var outcome = _flow.Ack(durable.Partition, durable.Offsets); // revoked meanwhile: ignored, the next owner re-reads
            if (outcome.Accepted == 0) return;
            _metrics.Acked.Inc(outcome.Accepted);
            if (outcome.Publish >= 0) _board.Publish(durable.Partition, outcome.Epoch, outcome.Publish);
            if (outcome.Resume) _loop!.RequestResume(durable.Partition);
            if (_draining)
            {
                if (_flow.InFlight == 0) ShutdownNow(completeAtOnce: false);
                return;
            }

            TryEmit();
        }

        private void OnPollEvent(PollEvent pollEvent)
        {
            switch (pollEvent)
            {
                case RecordsFetched fetched:
                    var dropped = 0;
                    foreach (var record in fetched.Records)
                        if (_draining || !_flow.Buffer(record)) dropped++;
                    if (dropped > 0) _loop!.ReleaseCredits(dropped);
                    TryEmit();
                    break;
                case PartitionsAssigned assigned:
                    foreach (var (partition, epoch) in assigned.Partitions) ReleaseDropped(_flow.Assign(partition, epoch));
                    break;
                case PartitionsRevoked revoked:
                    foreach (var partition in revoked.Partitions)
                    {
                        ReleaseDropped(_flow.Revoke(partition));
                        EventSpans.Abandon(_self, partition, fromOffset: 0, "revoked");
                    }

                    if (_draining && _flow.InFlight == 0) ShutdownNow(completeAtOnce: false);
                    break;
                case PartitionRewound rewound:
                    if (_flow.Rewound(rewound.Partition)) _loop!.RequestResume(rewound.Partition);
                    if (_draining && _flow.InFlight == 0) ShutdownNow(completeAtOnce: false);
                    else TryEmit();
                    break;
                case PollLoopStopped stopped:
                    if (stopped.Error is null) CompleteStage();
                    else FailStage(stopped.Error);
                    break;
            }
        }

        private void ReleaseDropped(int dropped)
        {
            if (dropped > 0) _loop!.ReleaseCredits(dropped);
        }

        private void OnCommand(SourceCommand command)
        {
            switch (command)
            {
                case DrainCommand drain when !_draining && !_shuttingDown:
                    _draining = true;
                    _loop!.StopFetching();
                    ReleaseDropped(_flow.DropBuffers());
                    if (_flow.InFlight == 0) ShutdownNow(completeAtOnce: false);
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
            _metrics.InFlight.Set(_flow.InFlight);
            _metrics.PausedPartitions.Set(_flow.PausedCount);
            _control.Report(_flow.InFlight, _flow.PausedCount);
            _metrics.Buffered.Set(_loop?.Buffered ?? 0);
        }
    }
}
