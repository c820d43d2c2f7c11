using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Personalization.Actors.Sessions;

/// <summary>
/// The user actors' mailbox. Akka's default for a persistent actor (unbounded deque) is a ConcurrentQueue whose first
/// segment holds 32 envelopes plus a prepend stack: ~1.3 KB per actor even when idle, and a node holds one actor per
/// live user. <see cref="UserMessageQueue"/> holds no array while at most one message waits.
/// </summary>
public sealed class UserMailbox(Settings settings, Config config) : MailboxType(settings, config), IProducesMessageQueue<UserMessageQueue>
{
    /// <summary>Config path of the mailbox (<see cref="Props.WithMailbox"/>).</summary>
    public const string Id = "personalization.user-mailbox";

    /// <summary>The HOCON that defines <see cref="Id"/>; every actor system that hosts user actors needs it.</summary>
    public const string Hocon = Id + ".mailbox-type = \"Personalization.Actors.Sessions.UserMailbox, Personalization.Actors\"";

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new UserMessageQueue();
}

/// <summary>
/// Unbounded, double-ended (stash support for persistent actors), thread-safe under a lock. One waiting message sits
/// in a field; a ring (capacity a power of two) exists only while two or more wait and is dropped once drained, so an
/// idle actor's queue is this object alone.
/// </summary>
public sealed class UserMessageQueue : IMessageQueue, IUnboundedDequeBasedMessageQueueSemantics
{
    private const int FirstRingCapacity = 4;

    private Envelope _single;
    private Envelope[]? _ring;
    private int _head;
    private volatile int _count;

    public bool HasMessages => _count > 0;

    public int Count => _count;

    // The lock is this queue: nothing else can reach it but its mailbox, and a separate lock object would cost 24 B per actor.
    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        lock (this)
        {
            if (_count == 0 && _ring is null)
            {
                _single = envelope;
                _count = 1;
                return;
            }

            var ring = RingWithRoom();
            ring[(_head + _count) & (ring.Length - 1)] = envelope;
            _count++;
        }
    }

    /// <summary>Puts a message in front (unstashing); only the actor's own thread calls it.</summary>
    public void EnqueueFirst(Envelope envelope)
    {
        lock (this)
        {
            if (_count == 0 && _ring is null)
            {
                _single = envelope;
                _count = 1;
                return;
            }

            var ring = RingWithRoom();
            _head = (_head - 1) & (ring.Length - 1);
            ring[_head] = envelope;
            _count++;
        }
    }

    public bool TryDequeue(out Envelope envelope)
    {
        if (_count == 0)
        {
            envelope = default;
            return false;
        }

        lock (this)
        {
            if (_count == 0)
            {
                envelope = default;
                return false;
            }

            if (_ring is null)
            {
                envelope = _single;
                _single = default;
                _count = 0;
                return true;
            }

            envelope = _ring[_head];
            _ring[_head] = default;
            _head = (_head + 1) & (_ring.Length - 1);
            if (--_count == 0)
            {
                _ring = null;
                _head = 0;
            }

            return true;
        }
    }

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope)) deadletters.Enqueue(owner, envelope);
    }

    /// <summary>The ring with room for one more message, oldest at <see cref="_head"/>; the single waiting message moves into a new ring.</summary>
    private Envelope[] RingWithRoom()
    {
        if (_ring is null)
        {
            _ring = new Envelope[FirstRingCapacity];
            _head = 0;
            _ring[0] = _single; // _count is 1 here: an empty queue without a ring takes the message in _single
            _single = default;
            return _ring;
        }

        if (_count < _ring.Length) return _ring;
        var bigger = new Envelope[_ring.Length * 2];
        for (var i = 0; i < _count; i++) bigger[i] = _ring[(_head + i) & (_ring.Length - 1)];
        _ring = bigger;
        _head = 0;
        return bigger;
    }
}
