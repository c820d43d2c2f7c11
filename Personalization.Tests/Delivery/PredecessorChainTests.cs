using Personalization.Actors.Delivery;
using Xunit;

namespace Personalization.Tests.Delivery;

/// <summary>The source's half of lost-event detection: each event names its user's previous unacknowledged one.</summary>
public sealed class PredecessorChainTests
{
    [Fact]
    public void Each_event_names_the_previous_event_of_the_same_user_in_the_same_partition()
    {
        var chain = new PredecessorChain(_ => -1);

        Assert.Equal(-1, chain.Next(0, 0, "u", 10));
        Assert.Equal(-1, chain.Next(0, 0, "v", 11));
        Assert.Equal(10, chain.Next(0, 0, "u", 12));
        Assert.Equal(-1, chain.Next(1, 0, "u", 3)); // another partition, another chain
        Assert.Equal(12, chain.Next(0, 0, "u", 13));
    }

    [Fact]
    public void A_rewind_starts_the_partition_chain_afresh()
    {
        var chain = new PredecessorChain(_ => -1);
        chain.Next(0, 0, "u", 10);
        chain.Next(0, 0, "u", 11);

        Assert.Equal(-1, chain.Next(0, generation: 1, "u", 10)); // re-read from 10: nothing before it is in flight
        Assert.Equal(10, chain.Next(0, 1, "u", 11));
    }

    [Fact]
    public void Users_whose_last_event_is_below_the_acknowledged_position_are_pruned()
    {
        long acknowledged = -1;
        var chain = new PredecessorChain(_ => acknowledged, minPruneAt: 3);
        for (var i = 0; i < 4; i++) chain.Next(0, 0, $"u{i}", i);
        acknowledged = 3; // offsets 0..2 are durable

        chain.Next(0, 0, "u9", 9); // over the prune size: prunes first

        Assert.Equal(2, chain.Tracked(0)); // u3 (offset 3, maybe unacknowledged) and u9
        Assert.Equal(-1, chain.Next(0, 0, "u0", 10)); // its last event is durable: no predecessor to wait for
        Assert.Equal(3, chain.Next(0, 0, "u3", 11));
    }

    [Fact]
    public void Nothing_is_pruned_before_anything_is_acknowledged()
    {
        var chain = new PredecessorChain(_ => -1, minPruneAt: 2);
        for (var i = 0; i < 10; i++) chain.Next(0, 0, $"u{i}", i);

        Assert.Equal(10, chain.Tracked(0));
    }
}
