using System.Collections.Concurrent;
using Akka.Configuration;
using Akka.Dispatch;

namespace Personalization.Actors.Scheduling;

/// <summary>
/// The executor of the ingest dispatcher (<see cref="IngestDispatcher"/>): a fixed set of dedicated threads at a low
/// OS priority (<see cref="OsThreadPriority"/>). Akka's own executors cannot do this: the thread-pool ones share .NET's
/// thread pool with Kestrel and every continuation (a nice value there would slow the queries too), and the fork-join
/// one creates its threads where no code of ours runs on them first. HOCON: <c>threads</c> (default: the core count)
/// and <c>nice</c>: nice steps below the process (default 10).
/// </summary>
public sealed class IngestExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
    : ExecutorServiceConfigurator(config, prerequisites)
{
    public override ExecutorService Produce(string id)
    {
        var threads = Config.GetInt("threads", 0);
        var nice = Config.GetInt("nice", 10);
        return new IngestExecutor(id, threads > 0 ? threads : Environment.ProcessorCount, nice);
    }
}

/// <summary>Runs Akka's mailbox runs on <c>threads</c> dedicated background threads, each <c>nice</c> steps below the process.</summary>
public sealed class IngestExecutor : ExecutorService
{
    private readonly BlockingCollection<IRunnable> _work = new(new ConcurrentQueue<IRunnable>());
    private readonly Thread[] _threads;
    private int _lowered;

    public IngestExecutor(string id, int threads, int nice) : base(id)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Nice = nice;
        _threads = new Thread[threads];
        for (var i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(Run) { IsBackground = true, Name = $"{id}-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Nice steps below the process the threads asked for.</summary>
    public int Nice { get; }

    /// <summary>Threads whose nice value the OS accepted (0 where the OS has none, e.g. not Linux).</summary>
    public int ThreadsLowered => Volatile.Read(ref _lowered);

    public override void Execute(IRunnable run)
    {
        try
        {
            _work.Add(run);
        }
        catch (InvalidOperationException e)
        {
            throw new RejectedExecutionException($"executor {Id} is shut down", e);
        }
    }

    public override void Shutdown() => _work.CompleteAdding();

    private void Run()
    {
        if (OsThreadPriority.LowerCurrentThreadBy(Nice)) Interlocked.Increment(ref _lowered);
        foreach (var run in _work.GetConsumingEnumerable())
        {
            try
            {
                run.Run();
            }
            catch (Exception)
            {
                // A mailbox run handles its actors' failures itself; what escapes must not end a thread of the pool.
            }
        }
    }
}

/// <summary>
/// The dispatcher of everything that ingests: user actors, the Kafka stream's stages, the checkpoint journal. Its
/// threads run below the serving threads' priority, so a query never waits for CPU behind ingest.
/// </summary>
public static class IngestDispatcher
{
    public const string Id = "personalization.ingest-dispatcher";

    /// <summary>HOCON of the dispatcher; <paramref name="nice"/> 0 keeps normal priority (the lanes still have their own threads).</summary>
    public static string Hocon(int threads, int nice) =>
        $$"""
        {{Id}} {
          type = Dispatcher
          executor = "{{typeof(IngestExecutorConfigurator).FullName}}, {{typeof(IngestExecutorConfigurator).Assembly.GetName().Name}}"
          threads = {{threads}}
          nice = {{nice}}
          throughput = 30
        }
        """;
}
