using Microsoft.Extensions.Time.Testing;
using Personalization.Actors.Kafka.Source;
using Xunit;

namespace Personalization.Tests.Kafka;

/// <summary>The source's flow policy without a broker: buffering, round robin, in-flight bounds, acks, rewinds, stalls.</summary>
public sealed class PartitionFlowTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new();

    private PartitionFlow Flow(int maxInFlight = 4)
    {
        var flow = new PartitionFlow(maxInFlight, Timeout, _time);
        flow.Assign(0, epoch: 1);
        flow.Assign(1, epoch: 2);
        return flow;
    }

    private static ConsumedRecord Record(int partition, long offset) => new("t", partition, offset, null, null, 0);

    private static List<ConsumedRecord> EmitAll(PartitionFlow flow, List<int>? paused = null)
    {
        var emitted = new List<ConsumedRecord>();
        while (flow.TryNext(out var record, out _, out var pause))
        {
            emitted.Add(record!);
            if (pause >= 0) paused?.Add(pause);
        }

        return emitted;
    }

    [Fact]
    public void Partitions_take_turns_so_one_busy_partition_never_holds_back_another()
    {
        var flow = Flow(maxInFlight: 100);
        for (var i = 0; i < 3; i++) flow.Buffer(Record(0, i));
        flow.Buffer(Record(1, 0));

        var order = EmitAll(flow).Select(r => (r.Partition, r.Offset)).ToList();

        Assert.Equal([(0, 0L), (1, 0L), (0, 1L), (0, 2L)], order);
    }

    [Fact]
    public void A_partition_at_its_in_flight_bound_pauses_and_the_others_go_on()
    {
        var flow = Flow(maxInFlight: 2);
        for (var i = 0; i < 4; i++) flow.Buffer(Record(0, i));
        flow.Buffer(Record(1, 0));
        var paused = new List<int>();

        var emitted = EmitAll(flow, paused);

        Assert.Equal(3, emitted.Count); // two of partition 0, one of partition 1
        Assert.Equal([0], paused);
        Assert.Equal((3, 1), (flow.InFlight, flow.PausedCount));
    }

    [Fact]
    public void A_paused_partition_resumes_only_below_half_its_bound()
    {
        var flow = Flow(maxInFlight: 4);
        for (var i = 0; i < 6; i++) flow.Buffer(Record(0, i));
        EmitAll(flow);

        Assert.False(flow.Ack(0, [0]).Resume); // 3 in flight: not below 2
        var outcome = flow.Ack(0, [1, 2]);

        Assert.True(outcome.Resume);
        Assert.Equal(0, flow.PausedCount);
        Assert.Equal([4L, 5L], EmitAll(flow).Select(r => r.Offset)); // the rest of the buffer flows again
    }

    [Fact]
    public void The_commit_position_follows_the_longest_acknowledged_prefix_only()
    {
        var flow = Flow(maxInFlight: 10);
        for (var i = 0; i < 4; i++) flow.Buffer(Record(0, i));
        EmitAll(flow);

        Assert.Equal(-1, flow.Ack(0, [1, 2]).Publish); // offset 0 is still out
        var outcome = flow.Ack(0, [0]);

        Assert.Equal((3L, 1L), (outcome.Publish, outcome.Epoch));
    }

    [Fact]
    public void Acks_for_partitions_not_owned_or_offsets_never_emitted_change_nothing()
    {
        var flow = Flow();
        flow.Buffer(Record(0, 0));
        EmitAll(flow);

        Assert.Equal(AckOutcome.None, flow.Ack(7, [0]));
        Assert.Equal(AckOutcome.None, flow.Ack(0, [5]));
        Assert.Equal(1, flow.InFlight);
    }

    [Fact]
    public void A_refetch_of_an_offset_already_emitted_is_skipped()
    {
        var flow = Flow();
        flow.Buffer(Record(0, 0));
        EmitAll(flow);
        flow.Buffer(Record(0, 0));
        flow.Buffer(Record(0, 1));

        var emitted = EmitAll(flow);

        Assert.Equal([1L], emitted.Select(r => r.Offset));
    }

    [Fact]
    public void A_rewind_drops_the_buffer_rereads_from_the_oldest_unacknowledged_offset_and_stamps_a_new_generation()
    {
        var flow = Flow(maxInFlight: 10);
        for (var i = 0; i < 5; i++) flow.Buffer(Record(0, i));
        flow.TryNext(out _, out _, out _);
        flow.TryNext(out _, out _, out _);
        flow.TryNext(out _, out _, out _); // 0, 1, 2 emitted; 3, 4 buffered
        flow.Ack(0, [0]);

        var (from, dropped) = flow.BeginRewind(0);
        Assert.Equal((1L, 2), (from, dropped));
        Assert.False(flow.Buffer(Record(0, 3))); // fetched before the seek: stale
        flow.Rewound(0);
        flow.Buffer(Record(0, 1));

        Assert.True(flow.TryNext(out var again, out _, out _));
        Assert.Equal((1L, 1L), (again!.Offset, again.Generation));
        Assert.Equal(1, flow.InFlight);
    }

    [Fact]
    public void A_partition_whose_acks_stall_for_the_redelivery_timeout_is_reported_stalled()
    {
        var flow = Flow();
        flow.Buffer(Record(0, 0));
        flow.Buffer(Record(1, 0));
        EmitAll(flow);
        flow.Ack(1, [0]);

        _time.Advance(Timeout + TimeSpan.FromSeconds(1));

        Assert.Equal([0], flow.Stalled());
    }

    [Fact]
    public void A_revoked_partition_forgets_its_buffer_and_in_flight_records()
    {
        var flow = Flow(maxInFlight: 1);
        flow.Buffer(Record(0, 0));
        flow.Buffer(Record(0, 1));
        EmitAll(flow);

        Assert.Equal(1, flow.Revoke(0));
        Assert.Equal((0, 0), (flow.InFlight, flow.PausedCount));
        Assert.False(flow.Buffer(Record(0, 2)));
    }

    [Fact]
    public void Draining_drops_every_buffer_and_emits_nothing_more()
    {
        var flow = Flow();
        flow.Buffer(Record(0, 0));
        flow.Buffer(Record(1, 0));

        Assert.Equal(2, flow.DropBuffers());
        Assert.False(flow.TryNext(out _, out _, out _));
    }
}
