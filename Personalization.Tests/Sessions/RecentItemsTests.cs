using Personalization.Actors.Events;
using Personalization.Actors.Sessions;
using Xunit;

namespace Personalization.Tests.Sessions;

public class RecentItemsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(50)]
    public void Keeps_the_newest_items_in_order_while_growing_and_once_full(int capacity)
    {
        var recent = new RecentItems(capacity);
        var added = new List<RecentItem>();
        for (var i = 0; i < 3 * capacity + 2; i++)
        {
            var item = new RecentItem($"item{i}", (EventType)(1 + i % 4), 1_700_000_000_000 + i);
            recent.Add(item);
            added.Add(item);
            Assert.Equal(added.TakeLast(capacity), recent.ToList());
            Assert.Equal(added[^1], recent[recent.Count - 1]);
        }

        Assert.Equal(capacity, recent.Count);
        Assert.Equal(capacity, recent.Capacity);
    }

    [Fact]
    public void Reserving_room_changes_nothing_that_is_kept()
    {
        var recent = new RecentItems(5);
        recent.Add(new RecentItem("a", EventType.Play, 1));
        recent.Reserve(4);
        recent.Reserve(100);
        for (var i = 0; i < 6; i++) recent.Add(new RecentItem($"b{i}", EventType.Skip, 2 + i));

        Assert.Equal(["b1", "b2", "b3", "b4", "b5"], recent.ToList().Select(r => r.ItemId));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(-62_135_596_800_000L)] // 0001-01-01, an ISO-8601 "ts"
    [InlineData(long.MaxValue >> 2)]
    [InlineData(long.MinValue >> 2)]
    [InlineData((long.MaxValue >> 2) + 1)]
    [InlineData((long.MinValue >> 2) - 1)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void Every_timestamp_and_type_comes_back_exactly(long timestamp)
    {
        var recent = new RecentItems(8);
        var items = new[]
        {
            new RecentItem("x", EventType.Play, timestamp), new RecentItem("y", EventType.Skip, timestamp),
            new RecentItem("z", EventType.Like, timestamp), new RecentItem("w", EventType.AddToPlaylist, timestamp),
            new RecentItem("v", (EventType)7, timestamp), new RecentItem("u", (EventType)0, timestamp),
        };
        foreach (var item in items) recent.Add(item);

        Assert.Equal(items, recent.ToList());
    }
}
