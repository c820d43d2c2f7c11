using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Personalization.LoadTest.Infra;

/// <summary>
/// Which types this process allocates, from the runtime's own sampling (GCAllocationTick: one event per ~100 KB
/// allocated, naming the type that crossed the threshold), so a profile needs no external tool. Opt-in with
/// BENCH_ALLOC_PROFILE=1; a profiling aid for choosing what to change, never a reported figure (it costs some CPU).
/// </summary>
public sealed class AllocationProfile : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new();
    private long _total;

    public static bool Enabled => Environment.GetEnvironmentVariable("BENCH_ALLOC_PROFILE") == "1";

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null) return;
        var type = "?";
        long amount = 0;
        for (var i = 0; i < e.Payload.Count; i++)
        {
            switch (e.PayloadNames![i])
            {
                case "TypeName": type = e.Payload[i] as string ?? "?"; break;
                case "AllocationAmount64": amount = Convert.ToInt64(e.Payload[i]); break;
                case "AllocationAmount" when amount == 0: amount = Convert.ToInt64(e.Payload[i]); break;
            }
        }

        _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
        Interlocked.Add(ref _total, amount);
    }

    /// <summary>Clears what was sampled so far (start of the measured interval).</summary>
    public void Reset()
    {
        _bytes.Clear();
        Interlocked.Exchange(ref _total, 0);
    }

    /// <summary>The top types by sampled bytes, with their share and bytes per unit of work (e.g. per event).</summary>
    public void Print(string title, double units, int top = 30)
    {
        var total = Interlocked.Read(ref _total);
        Console.WriteLine($"  allocation profile, {title}: {total / 1e6:N1} MB sampled" + (units > 0 ? $", {total / units:N0} B per unit" : ""));
        foreach (var (type, bytes) in _bytes.OrderByDescending(kv => kv.Value).Take(top))
            Console.WriteLine($"    {100.0 * bytes / Math.Max(1, total),5:N1} %  {(units > 0 ? bytes / units : 0),7:N0} B  {type}");
    }
}
