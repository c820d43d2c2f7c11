namespace Personalization.Actors.Kafka.Source;

/// <summary>
/// The source's flow policy, free of Kafka and Akka (docs/DESIGN.md, "Kafka source"): per owned partition, the records
/// fetched and not yet emitted, the emitted and unacknowledged offsets, pause/resume with hysteresis on the in-flight
/// bound, round-robin emission over the partitions that may emit (one stalled partition never blocks the others),
/// rewinds, and stall detection. <see cref="KafkaSourceStage"/> wires it to the poll thread and the stream.
/// Not thread-safe (owned by the stage).
/// </summary>
internal sealed class PartitionFlow(int maxInFlightPerPartition, TimeSpan redeliveryTimeout, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<int, PartitionState> _partitions = new();
    private readonly Queue<PartitionState> _ready = new();

    /// <summary>A paused partition resumes once its in-flight count falls below this (half the bound).</summary>
    public int ResumeBelow { get; } = Math.Max(1, maxInFlightPerPartition / 2);

    /// <summary>Records emitted and not acknowledged, over all owned partitions.</summary>
    public int InFlight { get; private set; }

    /// <summary>Partitions paused because they reached the in-flight bound.</summary>
    public int PausedCount { get; private set; }

    /// <summary>True while some partition has buffered records it may emit.</summary>
    public bool CanEmit => _ready.Count > 0;

    /// <summary>Kafka assigned the partition (again): a fresh state; returns how many buffered records of an earlier ownership were dropped.</summary>
    public int Assign(int partition, long epoch)
    {
        var dropped = _partitions.Remove(partition, out var old) ? Forget(old) : 0;
        _partitions[partition] = new PartitionState(partition, epoch, _time.GetTimestamp());
        return dropped;
    }

    /// <summary>Kafka took the partition away: its buffer, offsets and in-flight count go; returns the buffered records dropped.</summary>
    public int Revoke(int partition) => _partitions.Remove(partition, out var state) ? Forget(state) : 0;

    /// <summary>A fetched record: buffered, unless its partition is not owned or is being rewound (then the caller drops it).</summary>
    public bool Buffer(ConsumedRecord record)
    {
        if (!_partitions.TryGetValue(record.Partition, out var state) || state.Rewinding) return false;
        state.Buffer.Enqueue(record);
        MarkReady(state);
        return true;
    }

    /// <summary>
    /// The next record to emit, round robin over the partitions under their in-flight bound. <paramref name="taken"/>
    /// counts buffered records it consumed (re-fetches of offsets already emitted are skipped); <paramref name="pause"/>
    /// is the partition that just reached its bound, or -1.
    /// </summary>
    public bool TryNext(out ConsumedRecord? record, out int taken, out int pause)
    {
        taken = 0;
        pause = -1;
        while (_ready.TryDequeue(out var state))
        {
            state.InReadyQueue = false;
            if (state.Removed) continue;
            while (state.Buffer.Count > 0 && state.Tracker.InFlight < maxInFlightPerPartition)
            {
                var next = state.Buffer.Dequeue();
                taken++;
                if (state.Tracker.InFlight == 0) state.LastProgress = _time.GetTimestamp();
                if (!state.Tracker.Emitted(next.Offset)) continue; // a re-fetch of an offset already emitted
                next.Generation = state.Generation;
                InFlight++;
                if (state.Tracker.InFlight >= maxInFlightPerPartition && !state.Paused)
                {
                    state.Paused = true;
                    PausedCount++;
                    pause = state.Partition;
                }

                MarkReady(state);
                record = next;
                return true;
            }
        }

        record = null;
        return false;
    }

    /// <summary>Acknowledgements for <paramref name="partition"/>; acks for partitions not owned, or offsets never emitted, change nothing.</summary>
    public AckOutcome Ack(int partition, ReadOnlySpan<long> offsets)
    {
        if (!_partitions.TryGetValue(partition, out var state)) return AckOutcome.None;
        var accepted = state.Tracker.Ack(offsets);
        if (accepted == 0) return AckOutcome.None;
        InFlight -= accepted;
        long publish = -1;
        if (state.Tracker.Committable > state.Published)
        {
            state.Published = state.Tracker.Committable;
            state.LastProgress = _time.GetTimestamp();
            publish = state.Published;
        }

        var resume = false;
        if (state.Paused && state.Tracker.InFlight < ResumeBelow)
        {
            state.Paused = false;
            PausedCount--;
            resume = true;
        }

        MarkReady(state);
        return new AckOutcome(accepted, state.Epoch, publish, resume);
    }

    /// <summary>
    /// Starts reading the partition again from its oldest unacknowledged offset: returns that offset (-1: nothing to
    /// re-read, or a rewind is under way) and how many buffered records were dropped. Records fetched until
    /// <see cref="Rewound"/> are stale and not buffered.
    /// </summary>
    public (long From, int Dropped) BeginRewind(int partition)
    {
        if (!_partitions.TryGetValue(partition, out var state) || state.Rewinding) return (-1, 0);
        var from = state.Tracker.FirstUnacked;
        if (from < 0) return (-1, 0);
        state.Rewinding = true;
        var dropped = state.Buffer.Count;
        state.Buffer.Clear();
        return (from, dropped);
    }

    /// <summary>
    /// The seek is done: a fresh tracker, so the re-read offsets are emitted again (acks still due for the old ones are
    /// true all the same — they only come for durable events — and land in the new tracker or nowhere). Returns
    /// whether the partition must be resumed.
    /// </summary>
    public bool Rewound(int partition)
    {
        if (!_partitions.TryGetValue(partition, out var state) || !state.Rewinding) return false;
        InFlight -= state.Tracker.InFlight;
        state.Tracker = new OffsetTracker(256);
        state.Generation++;
        state.Rewinding = false;
        state.LastProgress = _time.GetTimestamp();
        if (!state.Paused) return false;
        state.Paused = false;
        PausedCount--;
        return true;
    }

    /// <summary>Owned partitions whose oldest unacknowledged record has not moved for the redelivery timeout.</summary>
    public List<int> Stalled()
    {
        var stalled = new List<int>();
        foreach (var state in _partitions.Values)
            if (state.Tracker.InFlight > 0 && !state.Rewinding && _time.GetElapsedTime(state.LastProgress) > redeliveryTimeout)
                stalled.Add(state.Partition);
        return stalled;
    }

    /// <summary>Draining: nothing more is emitted; returns the buffered records dropped.</summary>
    public int DropBuffers()
    {
        var dropped = 0;
        foreach (var state in _partitions.Values)
        {
            dropped += state.Buffer.Count;
            state.Buffer.Clear();
        }

        _ready.Clear();
        foreach (var state in _partitions.Values) state.InReadyQueue = false;
        return dropped;
    }

    private void MarkReady(PartitionState state)
    {
        if (state.InReadyQueue || state.Removed || state.Rewinding || state.Buffer.Count == 0 ||
            state.Tracker.InFlight >= maxInFlightPerPartition) return;
        state.InReadyQueue = true;
        _ready.Enqueue(state);
    }

    private int Forget(PartitionState state)
    {
        state.Removed = true;
        var dropped = state.Buffer.Count;
        state.Buffer.Clear();
        InFlight -= state.Tracker.InFlight;
        if (state.Paused) PausedCount--;
        return dropped;
    }

    private sealed class PartitionState(int partition, long epoch, long now)
    {
        public readonly int Partition = partition;
        public readonly long Epoch = epoch;
        public readonly Queue<ConsumedRecord> Buffer = new();
        public OffsetTracker Tracker = new(256);
        public bool InReadyQueue;
        public bool Paused;
        public bool Removed;
        public long Published = -1;

        /// <summary>Bumped by every rewind; stamped on the records emitted since.</summary>
        public long Generation;

        /// <summary>A seek is under way: records fetched before it are stale and dropped.</summary>
        public bool Rewinding;

        /// <summary>When the acknowledged prefix last moved (or the partition last went from idle to in flight).</summary>
        public long LastProgress = now;
    }
}

/// <summary>
/// What an acknowledgement changed: how many offsets were new, the partition's new commit position to publish
/// (<see cref="Publish"/> ≥ 0) for ownership <see cref="Epoch"/>, and whether the partition may resume.
/// </summary>
internal readonly record struct AckOutcome(int Accepted, long Epoch, long Publish, bool Resume)
{
    public static AckOutcome None { get; } = new(0, 0, -1, false);
}
