using Personalization.Actors.Delivery;
using Xunit;

namespace Personalization.Tests.Delivery;

public class PartitionOffsetsTests
{
    [Fact]
    public void Each_partition_keeps_its_highest_offset_in_the_order_partitions_came()
    {
        var offsets = new PartitionOffsets();
        Assert.Equal(0, offsets.Count);
        Assert.False(offsets.TryGet(0, out var none));
        Assert.Equal(-1, none);

        offsets.Advance(7, 100);
        offsets.Advance(7, 90); // lower: ignored
        offsets.Advance(3, 5);
        offsets.Advance(11, 0);
        offsets.Advance(3, 8);
        offsets.Advance(3, 6);
        offsets.Advance(7, 101);
        offsets.Advance(11, 4);

        Assert.Equal([(7, 101L), (3, 8L), (11, 4L)], offsets.Entries());
        Assert.Equal(3, offsets.Count);
        Assert.True(offsets.Covers(3, 8));
        Assert.False(offsets.Covers(3, 9));
        Assert.True(offsets.Covers(11, 0));
        Assert.False(offsets.Covers(5, 0));
    }

    [Fact]
    public void A_clone_is_independent()
    {
        var offsets = new PartitionOffsets();
        offsets.Advance(1, 10);
        offsets.Advance(2, 20);
        var clone = offsets.Clone();

        clone.Advance(1, 11);
        clone.Advance(2, 21);
        clone.Advance(3, 30);
        offsets.Advance(4, 40);

        Assert.Equal([(1, 10L), (2, 20L), (4, 40L)], offsets.Entries());
        Assert.Equal([(1, 11L), (2, 21L), (3, 30L)], clone.Entries());
        Assert.Empty(new PartitionOffsets().Clone().Entries());
    }
}
