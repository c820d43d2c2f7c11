namespace Personalization.Actors.Kafka.Source;

/// <summary>Commands from <see cref="IKafkaSourceControl"/> into the stage.</summary>
internal abstract record SourceCommand;

internal sealed record DrainCommand(TimeSpan Timeout) : SourceCommand;

internal sealed record ShutdownCommand : SourceCommand;

/// <summary>The materialized control; commands wait until the stage has started, then go in through its async callback.</summary>
internal sealed class KafkaSourceControl : IKafkaSourceControl, Ingest.IIngestProbe
{
    private readonly TaskCompletionSource<Action<SourceCommand>> _stage = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private KafkaPollLoop? _loop;
    private Akka.Actor.IActorRef _ackTarget = Akka.Actor.ActorRefs.Nobody;
    private CommitBoard? _board;
    private long _inFlight;
    private int _paused;
    private int _claimed;

    public Task Completion => _completion.Task;

    public Akka.Actor.IActorRef AckTarget => Volatile.Read(ref _ackTarget);

    public IReadOnlyCollection<int> AssignedPartitions => _loop?.AssignedPartitions ?? [];

    public long CommittablePosition(int partition) => _loop?.CommittablePosition(partition) ?? -1;

    /// <summary>See <see cref="KafkaPollLoop.TryQueryWatermarks"/> (false before the source has started).</summary>
    public bool TryQueryWatermarks(int partition, TimeSpan timeout, out long low, out long high)
    {
        low = high = -1;
        return _loop is { } loop && loop.TryQueryWatermarks(partition, timeout, out low, out high);
    }

    /// <summary>See <see cref="KafkaPollLoop.TryQueryCommitted"/>.</summary>
    public bool TryQueryCommitted(int partition, TimeSpan timeout, out long committed)
    {
        committed = -1;
        return _loop is { } loop && loop.TryQueryCommitted(partition, timeout, out committed);
    }

    public KafkaSourceStatus Status() => new(
        _board?.Positions() ?? [],
        Volatile.Read(ref _inFlight),
        _loop?.Buffered ?? 0,
        Volatile.Read(ref _paused));

    /// <summary>From the stage, with its gauges: counts only the stage's thread knows.</summary>
    internal void Report(long inFlight, int pausedPartitions)
    {
        Volatile.Write(ref _inFlight, inFlight);
        Volatile.Write(ref _paused, pausedPartitions);
    }

    public Task DrainAndShutdownAsync(TimeSpan timeout) => SendAsync(new DrainCommand(timeout));

    public Task ShutdownAsync() => SendAsync(new ShutdownCommand());

    private async Task SendAsync(SourceCommand command)
    {
        var stage = await _stage.Task.ConfigureAwait(false);
        if (!Completion.IsCompleted)
        {
            try
            {
                stage(command);
            }
            catch (Exception) when (Completion.IsCompleted)
            {
                // The stage stopped meanwhile; the consumer is closed already.
            }
        }

        await Completion.ConfigureAwait(false);
    }

    /// <summary>For a control created before its source is materialized: one materialization may take it.</summary>
    internal KafkaSourceControl Claim() => Interlocked.Exchange(ref _claimed, 1) == 0
        ? this
        : throw new InvalidOperationException("this Kafka source control belongs to a source that was materialized already; create the source again");

    internal void Attach(Action<SourceCommand> commands, Akka.Actor.IActorRef ackTarget, KafkaPollLoop loop, CommitBoard board)
    {
        Volatile.Write(ref _ackTarget, ackTarget);
        _board = board;
        _loop = loop;
        loop.Completion.ContinueWith(t =>
        {
            if (t.IsFaulted) _completion.TrySetException(t.Exception!.InnerExceptions);
            else _completion.TrySetResult();
        }, TaskScheduler.Default);
        _stage.TrySetResult(commands);
    }
}
