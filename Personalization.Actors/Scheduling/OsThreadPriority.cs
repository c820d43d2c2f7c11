using System.Runtime.InteropServices;

namespace Personalization.Actors.Scheduling;

/// <summary>
/// The OS scheduling priority of the calling thread. Ingest threads run at a higher nice value than the threads that
/// serve queries, so that when the two cores run out the kernel hands the CPU to a waiting query first and ingest
/// slows instead (Kafka is the buffer; consumer lag grows, queries keep their latency). .NET's
/// <see cref="Thread.Priority"/> is ignored on Linux, hence setpriority(2) on the thread's own id: on Linux a nice
/// value belongs to a thread, and raising it needs no privilege.
/// </summary>
public static partial class OsThreadPriority
{
    private const int PrioProcess = 0;

    /// <summary>
    /// Lowers the calling thread's priority by <paramref name="steps"/> nice steps below the process's (at most to 19,
    /// the lowest), so that ingest stays below serving however the process was started (e.g. under <c>nice</c>).
    /// False where unsupported (not Linux) or refused.
    /// </summary>
    public static bool LowerCurrentThreadBy(int steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        if (steps == 0) return true;
        return ProcessNice() is { } process && SetCurrentThreadNice(Math.Min(19, process + steps));
    }

    /// <summary>The process's nice value (its main thread's, which the threads it starts inherit), or null where it cannot be read.</summary>
    public static int? ProcessNice() => NiceOf(thread: false);

    /// <summary>Sets the calling thread's nice value (0 normal, up to 19 lowest). False where unsupported (not Linux) or refused.</summary>
    public static bool SetCurrentThreadNice(int nice)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nice, -20);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nice, 19);
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return SetPriority(PrioProcess, GetTid(), nice) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The calling thread's nice value, or null where it cannot be read.</summary>
    public static int? CurrentThreadNice() => NiceOf(thread: true);

    // getpriority returns -1 both as a value and as the error: errno tells them apart.
    private static int? NiceOf(bool thread)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var who = thread ? GetTid() : Environment.ProcessId;
            Marshal.SetLastPInvokeError(0);
            var nice = GetPriority(PrioProcess, who);
            return nice == -1 && Marshal.GetLastPInvokeError() != 0 ? null : nice;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int prio);

    [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static partial int GetPriority(int which, int who);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();
}
