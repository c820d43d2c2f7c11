using System.Diagnostics;

namespace Personalization.Actors.Telemetry;

/// <summary>
/// The engine's <see cref="ActivitySource"/> (docs/DESIGN.md, "Traces"): a span per consumed event from consume to
/// durable acknowledgement (<see cref="EventSpans"/>) and a span per recommendation query. Everything here is plain
/// System.Diagnostics: the host decides whether anything listens (OpenTelemetry with an OTLP exporter when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set) and how it samples.
/// </summary>
public static class EngineTracing
{
    public const string SourceName = "Personalization";

    public static readonly ActivitySource Source = new(SourceName, typeof(EngineTracing).Assembly.GetName().Version?.ToString(3));

    /// <summary>W3C trace context header names, on Kafka records as on HTTP requests.</summary>
    public const string TraceParentHeader = "traceparent";

    public const string TraceStateHeader = "tracestate";

    public const string QuerySpanName = "recommendations";


    /// <summary>
    /// Set by the host while a tracer provider samples this source: asked before a per-event span is created, so an
    /// event the sampler drops costs no allocation (an <see cref="Activity"/> made only to carry a dropped decision,
    /// as OpenTelemetry's samplers ask for, would cost one per event). Null: the listeners decide as usual.
    /// </summary>
    public static IEventSampler? Sampler { get; set; }

    /// <summary>
    /// Reads a W3C <c>traceparent</c> value (<c>00-&lt;32 hex&gt;-&lt;16 hex&gt;-&lt;2 hex&gt;</c>) without allocating anything:
    /// whether it is valid, and its sampled flag. <see cref="ActivityTraceId"/> keeps its hex text, so building the
    /// context (<see cref="TryParseTraceParent"/>) allocates: that waits until the event is sampled.
    /// </summary>
    public static bool TryReadTraceParent(ReadOnlySpan<byte> value, out bool sampled)
    {
        sampled = false;
        // version "00" is exactly 55 bytes; later versions may append "-…" fields, never "ff".
        if (value.Length < 55 || (value.Length > 55 && value[55] != (byte)'-')) return false;
        if (value[2] != (byte)'-' || value[35] != (byte)'-' || value[52] != (byte)'-') return false;
        if (!IsLowerHex(value[..2]) || (value[0] == (byte)'f' && value[1] == (byte)'f')) return false;
        if (value[0] == (byte)'0' && value[1] == (byte)'0' && value.Length != 55) return false;
        var traceId = value.Slice(3, 32);
        var spanId = value.Slice(36, 16);
        var flags = value.Slice(53, 2);
        if (!IsLowerHex(traceId) || !IsLowerHex(spanId) || !IsLowerHex(flags) || AllZeros(traceId) || AllZeros(spanId)) return false;
        sampled = (Hex(flags[1]) & 1) != 0;
        return true;
    }

    /// <summary>A valid <c>traceparent</c> value (<see cref="TryReadTraceParent"/>) → the remote parent context (allocates its ids' text).</summary>
    public static bool TryParseTraceParent(ReadOnlySpan<byte> value, out ActivityContext context)
    {
        context = default;
        if (!TryReadTraceParent(value, out var sampled)) return false;
        context = new ActivityContext(
            ActivityTraceId.CreateFromUtf8String(value.Slice(3, 32)),
            ActivitySpanId.CreateFromUtf8String(value.Slice(36, 16)),
            sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None,
            traceState: null,
            isRemote: true);
        return true;
    }

    /// <summary>The W3C <c>traceparent</c> value of <paramref name="activity"/> (for headers this node produces).</summary>
    public static string TraceParentOf(Activity activity) =>
        $"00-{activity.TraceId.ToHexString()}-{activity.SpanId.ToHexString()}-{((activity.ActivityTraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00")}";

    private static bool IsLowerHex(ReadOnlySpan<byte> s)
    {
        foreach (var b in s)
            if (b is not ((>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f'))) return false;
        return true;
    }

    private static bool AllZeros(ReadOnlySpan<byte> s) => s.IndexOfAnyExcept((byte)'0') < 0;

    private static int Hex(byte b) => b <= '9' ? b - '0' : b - 'a' + 10;
}

/// <summary>
/// The sampling decision for a per-event span before anything exists (see <see cref="EngineTracing.Sampler"/>), from
/// what the record's <c>traceparent</c> says — present or not, its sampled flag — so a dropped event allocates nothing.
/// When <see cref="Sample"/> says <see cref="EventSampling.Sample"/>, the span the caller creates next on the same
/// thread takes that decision (the host's sampler honours it rather than deciding again, so a root is sampled at the
/// configured rate, not its square); <see cref="Forget"/> drops a decision no span took. <see cref="EventSampling.Ask"/>:
/// this sampler needs the span's trace id (a trace-id ratio under a parent): create the span and let the listener decide.
/// </summary>
public interface IEventSampler
{
    EventSampling Sample(bool hasParent, bool parentSampled, string name);

    void Forget();
}

public enum EventSampling
{
    Drop,
    Sample,
    Ask,
}
