using System.Diagnostics;
using System.Runtime.InteropServices;
using Akka.Actor;

namespace Personalization.Node.Hosting;

/// <summary>
/// The last line of defence of <see cref="NodeOptions.ShutdownOptions.TotalSeconds"/>: from the moment a node starts
/// stopping (the signal, or coordinated shutdown started by `cluster leave` or the split-brain resolver), a node still
/// running after the total exits at once, saying so. Every part of the shutdown has a timeout of its own; this covers
/// what has none (a native call into librdkafka or a driver that never returns, a process-exit handler that waits),
/// so a node always leaves within its budget — before Kubernetes' SIGKILL, which says nothing. Registered by `run`
/// only: it ends the whole process.
/// </summary>
public sealed class ShutdownBudget(NodeOptions options, IHostApplicationLifetime lifetime, IServiceProvider services, ILogger<ShutdownBudget> logger)
    : IHostedService
{
    /// <summary>Exit code of a node that overran its budget (0: clean shutdown).</summary>
    public const int OverrunExitCode = 3;

    private long _stoppingSince;

    /// <summary>Registered after Akka's hosted service, so the actor system exists.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(Arm);
        lifetime.ApplicationStopped.Register(() => logger.LogInformation(
            "Node stopped in {Elapsed:0.0} s of its {Budget} s shutdown budget", Elapsed.TotalSeconds, options.Shutdown.TotalSeconds));
        CoordinatedShutdown.Get(services.GetRequiredService<ActorSystem>()).AddTask(
            CoordinatedShutdown.PhaseBeforeServiceUnbind, "arm-shutdown-budget", () =>
            {
                Arm();
                return Task.FromResult(Akka.Done.Instance);
            });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Time since the node started stopping (zero before).</summary>
    public TimeSpan Elapsed => Volatile.Read(ref _stoppingSince) is var since and not 0 ? Stopwatch.GetElapsedTime(since) : TimeSpan.Zero;

    /// <summary>Starts the clock; the first call counts (the signal, coordinated shutdown and the host all call it).</summary>
    public void Arm()
    {
        if (Interlocked.CompareExchange(ref _stoppingSince, Stopwatch.GetTimestamp(), 0) != 0) return;
        var budget = options.Shutdown.Total;
        logger.LogInformation("Shutting down: budget {Budget} s", budget.TotalSeconds);
        // A thread of its own, not a timer: it must outlive the host's disposal (and anything that blocks the
        // thread pool), and as a background thread it never holds up a clean exit.
        new Thread(() =>
        {
            Thread.Sleep(budget);
            // Straight to stderr: the logging pipeline may be gone or stuck by now.
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} crit: shutdown overran its budget of {budget.TotalSeconds} s (Shutdown:TotalSeconds); exiting now with code {OverrunExitCode}");
            Console.Error.Flush();
            ExitNow(OverrunExitCode);
        }) { IsBackground = true, Name = "shutdown-budget" }.Start();
    }

    // Environment.Exit would run the process-exit handlers, which may be what is stuck (the host's console lifetime
    // waits for its disposal there).
    private static void ExitNow(int code)
    {
        if (OperatingSystem.IsWindows()) Environment.FailFast("shutdown overran its budget");
        else _exit(code);
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void _exit(int status);
}
