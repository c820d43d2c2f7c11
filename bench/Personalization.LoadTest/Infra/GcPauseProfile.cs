using System.Diagnostics.Tracing;

namespace Personalization.LoadTest.Infra;

/// <summary>
/// Where a stop-the-world GC pause goes, from the runtime's own events: suspending the threads (SuspendEE begin →
/// end: time to reach a safe point), the collection (GCStart → GCEnd), and the whole pause (SuspendEE begin →
/// RestartEE end), per generation. A long suspension with a short collection points at threads that do not reach a
/// safe point (or do not get a core to reach it); a long collection at what survives. Opt-in with
/// BENCH_GC_PROFILE=1, a profiling aid, never a reported figure.
/// </summary>
public sealed class GcPauseProfile : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly Lock _gate = new();
    private readonly List<Pause> _pauses = [];
    private DateTime _suspendBegin, _suspendEnd, _gcStart, _gcEnd;
    private int _generation = -1;
    private long _promoted;
    // Bytes marked from each kind of root in the current GC (GCMarkWithType: 0 stacks, 1 finalization queue, 2 handles,
    // 3 older generations through the card table, 4 sized refs, 5 overflow): a young GC whose survivors are mostly
    // reached through cards is paying for old objects that point at new ones.
    private readonly long[] _marked = new long[6];
    private readonly long[] _markedTotal = new long[6];
    private int _markedGcs;

    public static bool Enabled => Environment.GetEnvironmentVariable("BENCH_GC_PROFILE") == "1";

    private readonly record struct Pause(int Generation, double SuspendMs, double CollectMs, double TotalMs, long PromotedBytes);

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Informational, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        var name = e.EventName;
        if (name is null) return;
        lock (_gate)
        {
            if (name.StartsWith("GCSuspendEEBegin", StringComparison.Ordinal)) _suspendBegin = e.TimeStamp;
            else if (name.StartsWith("GCSuspendEEEnd", StringComparison.Ordinal)) _suspendEnd = e.TimeStamp;
            else if (name.StartsWith("GCStart", StringComparison.Ordinal))
            {
                _gcStart = e.TimeStamp;
                _generation = Payload<int>(e, "Depth", -1);
            }
            else if (name.StartsWith("GCEnd", StringComparison.Ordinal)) _gcEnd = e.TimeStamp;
            else if (name.StartsWith("GCMarkWithType", StringComparison.Ordinal))
            {
                var type = Payload<int>(e, "Type", -1);
                if (type is >= 0 and < 6) _marked[type] += Payload<long>(e, "Bytes", 0);
            }
            else if (name.StartsWith("GCHeapStats", StringComparison.Ordinal))
                _promoted = Payload<long>(e, "TotalPromotedSize0", 0) + Payload<long>(e, "TotalPromotedSize1", 0);
            else if (name.StartsWith("GCRestartEEEnd", StringComparison.Ordinal) && _suspendBegin != default)
            {
                // A background GC's own suspensions have no GCStart between them: counted with the generation unknown.
                var collected = _gcStart > _suspendBegin;
                var collect = collected && _gcEnd > _gcStart ? (_gcEnd - _gcStart).TotalMilliseconds : 0;
                _pauses.Add(new Pause(collected ? _generation : -1, (_suspendEnd - _suspendBegin).TotalMilliseconds,
                    collect, (e.TimeStamp - _suspendBegin).TotalMilliseconds, _promoted));
                _suspendBegin = default;
                if (collected && _generation is 0 or 1)
                {
                    for (var i = 0; i < _marked.Length; i++) _markedTotal[i] += _marked[i];
                    _markedGcs++;
                }

                Array.Clear(_marked);
            }
        }
    }

    private static T Payload<T>(EventWrittenEventArgs e, string field, T fallback)
    {
        var i = e.PayloadNames?.IndexOf(field) ?? -1;
        return i >= 0 && e.Payload![i] is { } v ? (T)Convert.ChangeType(v, typeof(T)) : fallback;
    }

    /// <summary>Clears what was recorded so far (start of the measured interval).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _pauses.Clear();
            Array.Clear(_markedTotal);
            _markedGcs = 0;
        }
    }

    /// <summary>Pauses per generation: count, mean and max of suspension, collection and whole pause, promoted bytes.</summary>
    public void Print(string title, TimeSpan interval)
    {
        List<Pause> pauses;
        long[] marked;
        int markedGcs;
        lock (_gate)
        {
            pauses = [.. _pauses];
            marked = [.. _markedTotal];
            markedGcs = _markedGcs;
        }

        var total = pauses.Sum(p => p.TotalMs);
        Console.WriteLine($"  GC pauses, {title}: {pauses.Count} in {interval.TotalSeconds:N1} s, {total:N0} ms paused ({100 * total / interval.TotalMilliseconds:N1} %)");
        foreach (var g in pauses.GroupBy(p => p.Generation).OrderBy(g => g.Key))
        {
            Console.WriteLine($"    gen {(g.Key < 0 ? "bgc" : g.Key.ToString())}: {g.Count()} pauses; suspend mean {g.Average(p => p.SuspendMs):N2} / max {g.Max(p => p.SuspendMs):N2} ms; " +
                $"collect mean {g.Average(p => p.CollectMs):N1} / max {g.Max(p => p.CollectMs):N1} ms; pause mean {g.Average(p => p.TotalMs):N1} / max {g.Max(p => p.TotalMs):N1} ms; " +
                $"promoted mean {g.Average(p => p.PromotedBytes) / 1e6:N1} MB");
        }

        if (markedGcs > 0)
        {
            string[] roots = ["stacks", "finalization queue", "handles", "older generations (cards)", "sized refs", "overflow"];
            Console.WriteLine($"    marked per young GC, by root: {string.Join(", ", roots.Select((r, i) => $"{r} {marked[i] / markedGcs / 1e6:N1} MB"))}");
        }
    }
}
