using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Confluent.Kafka;
using Personalization.Actors.Delivery;

namespace Personalization.Actors.Telemetry;

/// <summary>
/// The open per-event spans of a node: one span per <b>sampled</b> Kafka record, from the moment the poll thread
/// consumed it to the moment its offset came back durable (or dead-lettered) to the source that emitted it
/// (docs/DESIGN.md, "Traces"). The span is a child of the producer's <c>traceparent</c> header, carries the topic,
/// partition, offset and user id, and the user's actor adds events to it (received, model stepped, checkpoint
/// durable) while it is on this node.
/// <para>The per-event path is the engine's hot path, so it carries nothing per event: spans live here, keyed by the
/// emitting source, the partition and the offset, and every stage of the path asks <see cref="Active"/> (one volatile
/// read) before it looks anything up. While nothing samples, no span is open and nothing else happens; an event the
/// sampler drops is decided before any object exists (<see cref="EngineTracing.Sampler"/>).</para>
/// </summary>
public static class EventSpans
{
    /// <summary>Spans open at once, at most (a backlog read under 100 % sampling must not hold a span per record in memory).</summary>
    public const int MaxOpen = 50_000;

    public const string OutcomeTag = "personalization.outcome";

    private static readonly ConcurrentDictionary<Key, Activity> Open = new(KeyComparer.Instance);
    private static int _open;

    /// <summary>True while any per-event span is open: the only thing the hot path reads otherwise.</summary>
    public static bool Active
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref _open) > 0;
    }

    /// <summary>Open spans (tests, operators).</summary>
    public static int Count => Volatile.Read(ref _open);

    /// <summary>
    /// On the poll thread, for a record just consumed, while <see cref="EngineTracing.Source"/> has listeners: starts
    /// its span when the sampler takes it. Allocates nothing for a record it does not sample.
    /// </summary>
    internal static void TryStart(IActorRef source, string spanName, string topic, string group, int partition, long offset, Headers? headers)
    {
        if (Volatile.Read(ref _open) >= MaxOpen) return;
        byte[]? traceParent = null;
        var hasParent = headers is not null && headers.TryGetLastBytes(EngineTracing.TraceParentHeader, out traceParent) && traceParent is not null;
        var parentSampled = false;
        if (hasParent && !EngineTracing.TryReadTraceParent(traceParent, out parentSampled)) hasParent = false; // malformed: a new trace
        var sampler = EngineTracing.Sampler;
        if (sampler is not null && sampler.Sample(hasParent, parentSampled, spanName) == EventSampling.Drop) return;

        // Sampled (or no sampler of ours: the listeners decide): from here on allocating is fine.
        var parent = default(ActivityContext);
        if (hasParent && EngineTracing.TryParseTraceParent(traceParent, out parent)
            && headers!.TryGetLastBytes(EngineTracing.TraceStateHeader, out var traceState) && traceState is { Length: > 0 })
            parent = new ActivityContext(parent.TraceId, parent.SpanId, parent.TraceFlags, System.Text.Encoding.UTF8.GetString(traceState), isRemote: true);

        var previous = Activity.Current;
        Activity? activity;
        try
        {
            activity = EngineTracing.Source.CreateActivity(spanName, ActivityKind.Consumer, parent);
        }
        finally
        {
            sampler?.Forget();
        }

        if (activity is null) return;
        if (activity.IsAllDataRequested)
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.destination.name", topic);
            activity.SetTag("messaging.consumer.group.name", group);
            activity.SetTag("messaging.destination.partition.id", partition.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag("messaging.kafka.offset", offset);
        }

        activity.Start();
        Activity.Current = previous; // the span outlives this call: it must not become the poll thread's current activity
        var key = new Key(source, partition, offset);
        if (Open.TryRemove(key, out var stale))
        {
            // The same offset read again (a rewind) before the first read was acknowledged: that read is over.
            Interlocked.Decrement(ref _open);
            Finish(stale, "rewound", ActivityStatusCode.Unset, null);
        }

        Interlocked.Increment(ref _open);
        Open[key] = activity; // only the source's poll thread adds
    }

    /// <summary>The span of an event on its way (null: not sampled, or its source is on another node).</summary>
    public static Activity? Find(in DeliveryTag delivery) =>
        delivery.AckTo is { } source && Open.TryGetValue(new Key(source, delivery.Partition, delivery.Offset), out var activity) ? activity : null;

    internal static Activity? Find(IActorRef source, int partition, long offset) =>
        Open.TryGetValue(new Key(source, partition, offset), out var activity) ? activity : null;

    /// <summary>The record decoded to an event of <paramref name="userId"/>.</summary>
    internal static void Decoded(IActorRef source, int partition, long offset, string userId, bool misrouted)
    {
        if (Find(source, partition, offset) is not { } activity) return;
        activity.SetTag("user.id", userId);
        if (misrouted) activity.SetTag("personalization.misrouted", true);
    }

    /// <summary>The record goes to the DLQ: its span ends when the DLQ write is acknowledged, as an error.</summary>
    internal static void DeadLettered(IActorRef source, int partition, long offset, string reason)
    {
        if (Find(source, partition, offset) is not { } activity) return;
        activity.SetStatus(ActivityStatusCode.Error, "dead-lettered");
        activity.SetTag("personalization.dlq.reason", reason);
        activity.SetTag(OutcomeTag, "dead-lettered");
    }

    /// <summary>Adds an event to the span of <paramref name="delivery"/>, if it has one here (user side).</summary>
    public static void AddEvent(in DeliveryTag delivery, string name)
    {
        if (Find(delivery) is { } activity) activity.AddEvent(new ActivityEvent(name));
    }

    /// <summary>Adds an event to the spans of the offsets an acknowledgement covers (user side, before it is sent).</summary>
    public static void AddEvents(IActorRef source, EventsDurable acknowledgement, string name)
    {
        foreach (var offset in acknowledgement.Offsets)
            if (Find(source, acknowledgement.Partition, offset) is { } activity) activity.AddEvent(new ActivityEvent(name));
    }

    /// <summary>The source received <c>EventsDurable</c>: the spans of those offsets end.</summary>
    internal static void Durable(IActorRef source, int partition, long[] offsets)
    {
        foreach (var offset in offsets)
        {
            if (!Open.TryRemove(new Key(source, partition, offset), out var activity)) continue;
            Interlocked.Decrement(ref _open);
            Finish(activity, activity.GetTagItem(OutcomeTag) is null ? "durable" : null, ActivityStatusCode.Unset, null);
        }
    }

    /// <summary>
    /// Ends the spans of <paramref name="source"/> that will never be acknowledged: of a partition (revoked, or read again
    /// from <paramref name="fromOffset"/> on), or all of them (the source stopped), with why.
    /// </summary>
    internal static void Abandon(IActorRef source, int? partition, long fromOffset, string outcome)
    {
        if (!Active) return;
        foreach (var (key, _) in Open)
        {
            if (!ReferenceEquals(key.Source, source) || (partition is { } p && (key.Partition != p || key.Offset < fromOffset))) continue;
            if (!Open.TryRemove(key, out var activity)) continue;
            Interlocked.Decrement(ref _open);
            Finish(activity, outcome, ActivityStatusCode.Unset, null);
        }
    }

    /// <summary>Ends the spans of <paramref name="source"/> older than <paramref name="maxAge"/> (an acknowledgement that never came).</summary>
    internal static void Sweep(IActorRef source, TimeSpan maxAge)
    {
        if (!Active) return;
        var before = DateTime.UtcNow - maxAge;
        foreach (var (key, activity) in Open)
        {
            if (!ReferenceEquals(key.Source, source) || activity.StartTimeUtc > before) continue;
            if (!Open.TryRemove(key, out _)) continue;
            Interlocked.Decrement(ref _open);
            Finish(activity, "abandoned", ActivityStatusCode.Unset, null);
        }
    }

    private static void Finish(Activity activity, string? outcome, ActivityStatusCode status, string? description)
    {
        if (outcome is not null) activity.SetTag(OutcomeTag, outcome);
        if (status != ActivityStatusCode.Unset) activity.SetStatus(status, description);
        var current = Activity.Current;
        activity.Stop();
        Activity.Current = current; // Stop restores the activity that was current where the span started
    }

    private readonly record struct Key(IActorRef Source, int Partition, long Offset);

    /// <summary>The source by identity (the local stage actor's own reference), not by path.</summary>
    private sealed class KeyComparer : IEqualityComparer<Key>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals(Key x, Key y) => x.Offset == y.Offset && x.Partition == y.Partition && ReferenceEquals(x.Source, y.Source);

        public int GetHashCode(Key key) => HashCode.Combine(RuntimeHelpers.GetHashCode(key.Source), key.Partition, key.Offset);
    }
}
