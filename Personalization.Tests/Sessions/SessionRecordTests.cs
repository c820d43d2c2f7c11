using Personalization.Actors.Events;
using Personalization.Actors.Sessions;
using Xunit;

namespace Personalization.Tests.Sessions;

public class SessionRecordTests
{
    [Fact]
    public void Apply_counts_events_by_type_and_keeps_time_bounds()
    {
        var session = new SessionRecord("u1", 10);
        session.Apply("a", EventType.Play, 1000, 0, 0);
        session.Apply("b", EventType.Skip, 900, 0, 1);
        session.Apply("c", EventType.Like, 2000, 0, 2);
        session.Apply("d", EventType.AddToPlaylist, 1500, 0, 3);

        Assert.Equal(4, session.EventCount);
        Assert.Equal((1, 1, 1, 1), (session.Plays, session.Skips, session.Likes, session.PlaylistAdds));
        Assert.Equal(1000, session.FirstEventAt);
        Assert.Equal(2000, session.LastEventAt);
    }

    [Fact]
    public void Recent_items_keep_the_newest_in_order_when_full()
    {
        var session = new SessionRecord("u1", 3);
        for (var i = 0; i < 5; i++) session.Apply($"item{i}", EventType.Play, i, 0, i);

        Assert.Equal(["item2", "item3", "item4"], session.Recent.ToList().Select(r => r.ItemId));
    }

    [Fact]
    public void Events_with_an_offset_advance_the_applied_offset_of_their_partition_only()
    {
        var session = new SessionRecord("u1", 10);
        session.Apply("a", EventType.Play, 1, 3, 100);
        session.Apply("b", EventType.Play, 2, 4, 7);
        session.Apply("c", EventType.Play, 3, 0, -1); // no Kafka position: nothing to record

        Assert.Equal([(3, 100L), (4, 7L)], session.AppliedOffsets.Entries());
        Assert.Equal(3, session.EventCount);
    }

    [Fact]
    public void A_checkpoint_restores_an_identical_session()
    {
        var session = new SessionRecord("u1", 4);
        for (var i = 0; i < 6; i++) session.Apply($"item{i}", i % 2 == 0 ? EventType.Play : EventType.Like, 10 + i, i % 2, 200 + i);
        session.SetModelState([0.5f, -1.25f, 3f], "gru", "v1", 5);

        var restored = SessionRecord.FromCheckpoint("u1", 4, session.ToCheckpoint());

        Assert.Equal(session.ToCheckpoint() with { State = null, Recent = [], AppliedOffsets = [] }, restored.ToCheckpoint() with { State = null, Recent = [], AppliedOffsets = [] });
        Assert.Equal(session.Recent.ToList(), restored.Recent.ToList());
        Assert.Equal(session.AppliedOffsets.Entries(), restored.AppliedOffsets.Entries());
        Assert.Equal(session.State, restored.State);
    }
}
