using Akka.Actor;

namespace Personalization.Actors.Delivery;

/// <summary>
/// The user's half of the delivery protocol (docs/DESIGN.md, "Delivery protocol"): which arriving events are fresh,
/// duplicates or gaps, which offsets are durable, and which acknowledgements wait for a checkpoint. Pure: it returns
/// the acknowledgements to send; the session decides when, the actor sends them.
/// <para>Invariant 1: an offset is acknowledged only once a checkpoint that covers it is durable.</para>
/// </summary>
public sealed class UserDelivery
{
    // Acks that wait for a checkpoint, by source and partition (almost always one group: the user's own partition);
    // null while there are none, which is most of a live user's time. Offsets alone, 8 bytes per waiting event.
    private List<WaitingAcks>? _waiting;

    /// <summary>Highest offset per partition that a durable checkpoint covers.</summary>
    public PartitionOffsets Durable { get; private set; } = new();

    /// <summary>Acknowledgements that wait for a checkpoint to become durable.</summary>
    public bool HasWaitingAcks => _waiting is not null;

    /// <summary>The acknowledgements waiting for a checkpoint, per partition (operators' view; several sources of one partition add up).</summary>
    public IEnumerable<(int Partition, int Count, long First, long Last)> WaitingByPartition() =>
        _waiting is null
            ? []
            : _waiting.GroupBy(g => g.Partition)
                .OrderBy(g => g.Key)
                .Select(g => (g.Key, g.Sum(w => w.Offsets.Count), g.SelectMany(w => w.Offsets).Min(), g.SelectMany(w => w.Offsets).Max()));

    /// <summary>
    /// The rule for an arriving event, given the offsets already applied (or accepted earlier in the same batch):
    /// an offset at or below the applied one of its partition is a duplicate; an event whose predecessor is not
    /// applied is a gap; anything else is fresh. Offsets of different partitions never compare.
    /// </summary>
    public static Arrival Classify(in DeliveryTag delivery, PartitionOffsets applied)
    {
        if (delivery.HasOffset && applied.Covers(delivery.Partition, delivery.Offset)) return Arrival.Duplicate;
        if (delivery.PreviousOffset >= 0 && !applied.Covers(delivery.Partition, delivery.PreviousOffset)) return Arrival.Gap;
        return Arrival.Fresh;
    }

    /// <summary>After recovery: what the restored checkpoint covers is durable by definition.</summary>
    public void Recovered(PartitionOffsets applied) => Durable = applied.Clone();

    /// <summary>A fresh event was applied: its acknowledgement waits for the checkpoint that will cover it.</summary>
    public void Applied(in DeliveryTag delivery)
    {
        if (delivery.NeedsAck) Wait(delivery);
    }

    /// <summary>
    /// A duplicate arrived: acknowledged at once when its offset is durable already, else when the checkpoint that
    /// covers it is (which may be one being written right now). Returns the acknowledgement to send now, if any.
    /// </summary>
    public Acknowledgement? Duplicate(in DeliveryTag delivery)
    {
        if (!delivery.NeedsAck) return null;
        if (Durable.Covers(delivery.Partition, delivery.Offset))
            return new Acknowledgement(delivery.AckTo!, new EventsDurable(delivery.Partition, [delivery.Offset]));
        Wait(delivery);
        return null;
    }

    /// <summary>
    /// A checkpoint covering <paramref name="offsets"/> is durable: every waiting acknowledgement it covers is due,
    /// one message per source and partition. Acks it does not cover (events applied after it was taken) keep waiting.
    /// </summary>
    public List<Acknowledgement> CheckpointDurable(IEnumerable<(int Partition, long Offset)> offsets)
    {
        foreach (var (partition, offset) in offsets) Durable.Advance(partition, offset);
        var due = new List<Acknowledgement>(_waiting?.Count ?? 0);
        if (_waiting is null) return due;
        for (var g = _waiting.Count - 1; g >= 0; g--)
        {
            var group = _waiting[g];
            if (group.TakeCovered(Durable) is { } covered) due.Add(new Acknowledgement(group.To, new EventsDurable(group.Partition, covered)));
            if (group.Offsets.Count == 0) _waiting.RemoveAt(g);
        }

        if (_waiting.Count == 0) _waiting = null;
        due.Reverse(); // in the order the groups first waited
        return due;
    }

    /// <summary>One redelivery request per source and partition of the events that arrived after a gap.</summary>
    public static List<RedeliveryRequest> RedeliveriesFor(IEnumerable<DeliveryTag> gaps) =>
        gaps.Where(g => g.AckTo is not null)
            .Select(g => (g.AckTo!, g.Partition))
            .Distinct()
            .Select(k => new RedeliveryRequest(k.Item1, new RedeliveryNeeded(k.Partition)))
            .ToList();

    private void Wait(in DeliveryTag delivery)
    {
        _waiting ??= [];
        foreach (var group in _waiting)
            if (group.Partition == delivery.Partition && group.To.Equals(delivery.AckTo))
            {
                group.Offsets.Add(delivery.Offset);
                return;
            }

        _waiting.Add(new WaitingAcks(delivery.AckTo!, delivery.Partition, delivery.Offset));
    }

    /// <summary>The offsets of one partition, emitted by one source, that wait for a checkpoint.</summary>
    private sealed class WaitingAcks(IActorRef to, int partition, long first)
    {
        public IActorRef To { get; } = to;

        public int Partition { get; } = partition;

        public List<long> Offsets { get; } = [first];

        /// <summary>Removes and returns the offsets <paramref name="durable"/> covers (null: none).</summary>
        public long[]? TakeCovered(PartitionOffsets durable)
        {
            if (!durable.TryGet(Partition, out var upTo)) return null;
            var covered = 0;
            foreach (var offset in Offsets)
                if (offset <= upTo) covered++;
            if (covered == 0) return null;
            var taken = new long[covered];
            if (covered == Offsets.Count)
            {
                Offsets.CopyTo(taken);
                Offsets.Clear();
                return taken;
            }

            var t = 0;
            Offsets.RemoveAll(offset =>
            {
                if (offset > upTo) return false;
                taken[t++] = offset;
                return true;
            });
            return taken;
        }
    }
}

/// <summary>An acknowledgement to send to the source that emitted the events.</summary>
public sealed record Acknowledgement(IActorRef To, EventsDurable Message);

/// <summary>A request to the source to read a partition again.</summary>
public sealed record RedeliveryRequest(IActorRef To, RedeliveryNeeded Message);
