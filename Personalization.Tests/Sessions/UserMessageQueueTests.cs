using Akka.Actor;
using Personalization.Actors.Sessions;
using Xunit;

namespace Personalization.Tests.Sessions;

public class UserMessageQueueTests
{
    [Fact]
    public void Messages_come_out_in_order_through_growth_and_wrap_around()
    {
        var queue = new UserMessageQueue();
        var next = 0;
        var expected = 0;
        // Uneven enqueue/dequeue rounds so that the ring wraps and grows with its head anywhere.
        foreach (var (put, take) in new[] { (1, 1), (3, 2), (5, 1), (9, 12), (20, 7), (1, 14), (2, 4) })
        {
            for (var i = 0; i < put; i++) queue.Enqueue(ActorRefs.Nobody, new Envelope(next++, ActorRefs.NoSender));
            Assert.Equal(next - expected, queue.Count);
            for (var i = 0; i < take; i++)
            {
                Assert.True(queue.TryDequeue(out var envelope));
                Assert.Equal(expected++, envelope.Message);
            }
        }

        Assert.False(queue.HasMessages);
        Assert.False(queue.TryDequeue(out _));
    }

    [Fact]
    public void Enqueue_first_puts_messages_in_front_like_unstash_does()
    {
        var queue = new UserMessageQueue();
        queue.EnqueueFirst(new Envelope("b", ActorRefs.NoSender)); // into an empty queue
        queue.Enqueue(ActorRefs.Nobody, new Envelope("c", ActorRefs.NoSender));
        queue.EnqueueFirst(new Envelope("a", ActorRefs.NoSender));
        for (var i = 0; i < 6; i++) queue.Enqueue(ActorRefs.Nobody, new Envelope($"d{i}", ActorRefs.NoSender));
        queue.EnqueueFirst(new Envelope("0", ActorRefs.NoSender)); // full ring of 8: grows, head moves back

        var order = new List<object>();
        while (queue.TryDequeue(out var envelope)) order.Add(envelope.Message);

        Assert.Equal(["0", "a", "b", "c", "d0", "d1", "d2", "d3", "d4", "d5"], order);
    }

    [Fact]
    public async Task Concurrent_senders_lose_nothing_and_each_senders_order_holds()
    {
        const int Senders = 4, PerSender = 20_000;
        var queue = new UserMessageQueue();
        var received = new List<(int Sender, int Seq)>(Senders * PerSender);
        var producers = Enumerable.Range(0, Senders).Select(s => Task.Run(() =>
        {
            for (var i = 0; i < PerSender; i++) queue.Enqueue(ActorRefs.Nobody, new Envelope((s, i), ActorRefs.NoSender));
        })).ToArray();

        // One consumer, as an actor's mailbox has: drain until every sender is done and the queue is empty.
        while (!producers.All(p => p.IsCompleted) || queue.HasMessages)
            while (queue.TryDequeue(out var envelope)) received.Add(((int, int))envelope.Message);
        await Task.WhenAll(producers);

        Assert.Equal(Senders * PerSender, received.Count);
        foreach (var group in received.GroupBy(r => r.Sender))
            Assert.Equal(Enumerable.Range(0, PerSender), group.Select(r => r.Seq));
    }
}
