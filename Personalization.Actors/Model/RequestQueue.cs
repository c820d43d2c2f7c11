using System.Threading.Channels;

namespace Personalization.Actors.Model;

/// <summary>
/// Bounded multi-producer queue drained by one dedicated thread. Producers never block a thread: when the queue is
/// full their enqueue waits asynchronously (backpressure, nothing dropped). The consumer sleeps on an event that
/// producers set only when it is idle, so a busy consumer costs producers no kernel call and no thread-pool hop.
/// </summary>
internal sealed class RequestQueue<T> : IDisposable where T : class
{
    private readonly Channel<T> _channel;
    // No spinning before sleeping: on a 2-core node the spin took 15–18 % of the CPU samples in a catch-up profile
    // (the thread sleeps and wakes thousands of times a second), CPU the actors needed.
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
    private int _idle;
    private volatile bool _closed;

    public RequestQueue(int capacity)
    {
        _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false, // a released writer must not continue on the inference thread
        });
    }

    public int Count => _channel.Reader.Count;

    public bool IsClosed => _closed;

    /// <summary>Enqueues, waiting for room when full. Throws <see cref="ChannelClosedException"/> once closed.</summary>
    public ValueTask EnqueueAsync(T item, CancellationToken cancellationToken)
    {
        if (_channel.Writer.TryWrite(item))
        {
            WakeConsumer();
            return ValueTask.CompletedTask;
        }

        return EnqueueSlowAsync(item, cancellationToken);
    }

    public bool TryDequeue(out T item) => _channel.Reader.TryRead(out item!);

    /// <summary>Consumer: sleeps until an item may be there or the queue closes; false when the timeout passed first.</summary>
    public bool WaitForItems(TimeSpan timeout)
    {
        _wake.Reset();
        Interlocked.Exchange(ref _idle, 1); // full fence: publish "idle" before looking at the queue (pairs with WakeConsumer)
        if (_channel.Reader.Count > 0 || _closed)
        {
            Volatile.Write(ref _idle, 0);
            return true;
        }

        var woken = _wake.Wait(timeout);
        Volatile.Write(ref _idle, 0);
        return woken;
    }

    /// <summary>No enqueue succeeds after this returns; items already in stay for the consumer to take.</summary>
    public void Close()
    {
        _closed = true;
        _channel.Writer.TryComplete();
        _wake.Set();
    }

    public void Dispose() => _wake.Dispose();

    private async ValueTask EnqueueSlowAsync(T item, CancellationToken cancellationToken)
    {
        await _channel.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        WakeConsumer();
    }

    private void WakeConsumer()
    {
        Interlocked.MemoryBarrier(); // the item must be visible before we read "idle" (store-load ordering)
        if (Volatile.Read(ref _idle) != 0 && Interlocked.Exchange(ref _idle, 0) != 0) _wake.Set();
    }
}
