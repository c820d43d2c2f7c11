using Personalization.Actors.Kafka.Source;
using Xunit;

namespace Personalization.Tests.Kafka;

public class OffsetTrackerTests
{
    [Fact]
    public void Nothing_is_committable_before_the_first_ack()
    {
        var tracker = new OffsetTracker();
        tracker.Emitted(0);
        tracker.Emitted(1);
        Assert.Equal(-1, tracker.Committable);
        Assert.Equal(2, tracker.InFlight);
    }

    [Fact]
    public void In_order_acks_advance_the_commit_position_to_last_plus_one()
    {
        var tracker = new OffsetTracker();
        for (var o = 10; o < 15; o++) tracker.Emitted(o);
        Assert.True(tracker.Ack(10));
        Assert.Equal(11, tracker.Committable);
        Assert.True(tracker.Ack(11));
        Assert.Equal(12, tracker.Committable);
        Assert.Equal(3, tracker.InFlight);
    }

    [Fact]
    public void Out_of_order_acks_commit_only_the_acknowledged_prefix()
    {
        var tracker = new OffsetTracker();
        for (var o = 0; o < 6; o++) tracker.Emitted(o);
        tracker.Ack(3);
        tracker.Ack(1);
        tracker.Ack(5);
        Assert.Equal(-1, tracker.Committable); // 0 still missing
        tracker.Ack(0);
        Assert.Equal(2, tracker.Committable); // 0,1 acked; 2 missing
        tracker.Ack(2);
        Assert.Equal(4, tracker.Committable); // 0..3; 4 missing
        tracker.Ack(4);
        Assert.Equal(6, tracker.Committable);
        Assert.Equal(0, tracker.InFlight);
    }

    [Fact]
    public void Gaps_in_offsets_are_not_waited_for()
    {
        // Compaction or transaction markers: offsets 3, 4 and 7 never reach us.
        var tracker = new OffsetTracker();
        foreach (var o in new long[] { 1, 2, 5, 6, 8 }) tracker.Emitted(o);
        tracker.Ack(1);
        tracker.Ack(2);
        Assert.Equal(3, tracker.Committable);
        tracker.Ack(5);
        Assert.Equal(6, tracker.Committable); // 3 and 4 were never emitted
        tracker.Ack(8);
        Assert.Equal(6, tracker.Committable); // 6 still pending
        tracker.Ack(6);
        Assert.Equal(9, tracker.Committable);
    }

    [Fact]
    public void Duplicate_and_unknown_acks_change_nothing()
    {
        var tracker = new OffsetTracker();
        foreach (var o in new long[] { 0, 1, 2 }) tracker.Emitted(o);
        Assert.True(tracker.Ack(1));
        Assert.False(tracker.Ack(1)); // duplicate, pending
        Assert.False(tracker.Ack(7)); // never emitted
        Assert.Equal(2, tracker.InFlight);
        Assert.True(tracker.Ack(0));
        Assert.False(tracker.Ack(0)); // duplicate, already released
        Assert.False(tracker.Ack(-3));
        Assert.Equal(2, tracker.Committable);
        Assert.Equal(1, tracker.InFlight);
    }

    [Fact]
    public void Batch_ack_counts_only_new_acknowledgements()
    {
        var tracker = new OffsetTracker();
        for (var o = 0; o < 5; o++) tracker.Emitted(o);
        Assert.Equal(3, tracker.Ack([0, 2, 2, 4, 9]));
        Assert.Equal(1, tracker.Committable);
        Assert.Equal(2, tracker.InFlight);
    }

    [Fact]
    public void Emitted_offsets_must_increase()
    {
        var tracker = new OffsetTracker();
        Assert.True(tracker.Emitted(5));
        Assert.False(tracker.Emitted(5));
        Assert.False(tracker.Emitted(3));
        Assert.Equal(1, tracker.InFlight);
        Assert.Equal(5, tracker.LastEmitted);
    }

    [Fact]
    public void Grows_past_its_initial_capacity_and_wraps_around()
    {
        var tracker = new OffsetTracker(initialCapacity: 4);
        // Wrap the ring a few times first, then hold many.
        for (long o = 0; o < 10; o++)
        {
            tracker.Emitted(o);
            tracker.Ack(o);
        }

        Assert.Equal(10, tracker.Committable);
        var offsets = Enumerable.Range(0, 1000).Select(i => 10L + i * 2).ToList(); // every other offset
        foreach (var o in offsets) tracker.Emitted(o);
        Assert.Equal(1000, tracker.InFlight);
        foreach (var o in Enumerable.Reverse(offsets).Take(999)) tracker.Ack(o);
        Assert.Equal(10, tracker.Committable); // offset 10 still pending
        Assert.Equal(1, tracker.InFlight);
        tracker.Ack(10);
        Assert.Equal(offsets[^1] + 1, tracker.Committable);
        Assert.Equal(0, tracker.InFlight);
    }

    [Fact]
    public void Committable_never_passes_the_first_unacknowledged_offset()
    {
        var tracker = new OffsetTracker(initialCapacity: 4);
        var random = new Random(7);
        var emitted = new List<long>();
        long offset = 100;
        for (var i = 0; i < 1000; i++)
        {
            offset += random.Next(1, 4);
            tracker.Emitted(offset);
            emitted.Add(offset);
        }

        var acked = new HashSet<long>();
        foreach (var o in emitted.OrderBy(_ => random.Next()))
        {
            tracker.Ack(o);
            acked.Add(o);
            var firstUnacked = emitted.FirstOrDefault(e => !acked.Contains(e), -1);
            if (firstUnacked < 0)
            {
                Assert.Equal(emitted[^1] + 1, tracker.Committable);
            }
            else
            {
                var before = emitted.TakeWhile(e => e < firstUnacked).ToList();
                Assert.Equal(before.Count == 0 ? -1 : before[^1] + 1, tracker.Committable);
                Assert.True(tracker.Committable <= firstUnacked);
            }
        }
    }
}
