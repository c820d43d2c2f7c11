using Akka.Actor;
using Akka.TestKit.Xunit2;
using Personalization.Actors.Delivery;
using Xunit;

namespace Personalization.Tests.Delivery;

/// <summary>The user's half of the delivery protocol: classification of arrivals and when acknowledgements are due.</summary>
public sealed class UserDeliveryTests : TestKit
{
    private readonly IActorRef _source;
    private readonly IActorRef _otherSource;

    public UserDeliveryTests()
    {
        _source = CreateTestProbe("source").Ref;
        _otherSource = CreateTestProbe("other-source").Ref;
    }

    private DeliveryTag Tag(int partition, long offset, long previous = -1, IActorRef? to = null) => new(partition, offset, previous, to ?? _source);

    private static PartitionOffsets Applied(params (int Partition, long Offset)[] entries)
    {
        var offsets = new PartitionOffsets();
        foreach (var (p, o) in entries) offsets.Advance(p, o);
        return offsets;
    }

    [Fact]
    public void An_offset_at_or_below_the_applied_one_of_its_partition_is_a_duplicate()
    {
        var applied = Applied((3, 100));

        Assert.Equal(Arrival.Duplicate, UserDelivery.Classify(Tag(3, 100), applied));
        Assert.Equal(Arrival.Duplicate, UserDelivery.Classify(Tag(3, 42), applied));
        Assert.Equal(Arrival.Fresh, UserDelivery.Classify(Tag(3, 101), applied));
    }

    [Fact]
    public void Offsets_of_different_partitions_never_compare()
    {
        Assert.Equal(Arrival.Fresh, UserDelivery.Classify(Tag(4, 50), Applied((3, 100))));
    }

    [Fact]
    public void Events_without_an_offset_are_always_fresh()
    {
        Assert.Equal(Arrival.Fresh, UserDelivery.Classify(DeliveryTag.Untracked, Applied((0, 100))));
    }

    [Fact]
    public void An_event_whose_predecessor_is_not_applied_is_a_gap()
    {
        Assert.Equal(Arrival.Gap, UserDelivery.Classify(Tag(0, 9, previous: 7), Applied((0, 5))));
        Assert.Equal(Arrival.Gap, UserDelivery.Classify(Tag(0, 9, previous: 7), new PartitionOffsets()));
        Assert.Equal(Arrival.Fresh, UserDelivery.Classify(Tag(0, 9, previous: 7), Applied((0, 7))));
    }

    [Fact]
    public void A_duplicate_that_is_durable_is_acknowledged_at_once()
    {
        var delivery = new UserDelivery();
        delivery.Recovered(Applied((0, 10)));

        var ack = delivery.Duplicate(Tag(0, 9));

        Assert.NotNull(ack);
        Assert.Equal([9L], ack.Message.Offsets);
        Assert.False(delivery.HasWaitingAcks);
    }

    [Fact]
    public void A_duplicate_that_is_not_durable_waits_for_the_checkpoint_that_covers_it()
    {
        var delivery = new UserDelivery();
        delivery.Applied(Tag(0, 4));

        Assert.Null(delivery.Duplicate(Tag(0, 4)));
        Assert.True(delivery.HasWaitingAcks);
        var due = delivery.CheckpointDurable([(0, 4)]);
        Assert.Equal([4L, 4L], Assert.Single(due).Message.Offsets);
    }

    [Fact]
    public void A_durable_checkpoint_releases_only_the_acks_it_covers_one_message_per_source_and_partition()
    {
        var delivery = new UserDelivery();
        delivery.Applied(Tag(0, 1));
        delivery.Applied(Tag(0, 2));
        delivery.Applied(Tag(1, 7, to: _otherSource));
        delivery.Applied(Tag(0, 3)); // applied after the checkpoint below was taken

        var due = delivery.CheckpointDurable([(0, 2), (1, 7)]);

        Assert.Equal(2, due.Count);
        Assert.Equal([1L, 2L], due.Single(a => a.To.Equals(_source)).Message.Offsets);
        Assert.Equal([7L], due.Single(a => a.To.Equals(_otherSource)).Message.Offsets);
        Assert.True(delivery.HasWaitingAcks);
        Assert.Equal([3L], Assert.Single(delivery.CheckpointDurable([(0, 3)])).Message.Offsets);
        Assert.False(delivery.HasWaitingAcks);
    }

    [Fact]
    public void Events_that_need_no_ack_never_wait()
    {
        var delivery = new UserDelivery();
        delivery.Applied(DeliveryTag.Untracked);
        delivery.Applied(new DeliveryTag(0, 5, -1, null));

        Assert.False(delivery.HasWaitingAcks);
    }

    [Fact]
    public void Redelivery_is_asked_once_per_source_and_partition()
    {
        var requests = UserDelivery.RedeliveriesFor([Tag(0, 5, 3), Tag(0, 6, 5), Tag(1, 2, 1), Tag(0, 9, 8, _otherSource), new DeliveryTag(2, 1, 0, null)]);

        Assert.Equal(3, requests.Count);
        Assert.Contains(requests, r => r.To.Equals(_source) && r.Message.Partition == 0);
        Assert.Contains(requests, r => r.To.Equals(_source) && r.Message.Partition == 1);
        Assert.Contains(requests, r => r.To.Equals(_otherSource) && r.Message.Partition == 0);
    }
}
