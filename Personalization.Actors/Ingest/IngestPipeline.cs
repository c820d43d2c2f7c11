using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Kafka.Source;
using Personalization.Actors.Quality;

namespace Personalization.Actors.Ingest;

/// <summary>
/// Kafka → decode → user shard region (or DLQ) (docs/DESIGN.md, "Data flow"). The source's control is created first,
/// so the record handler is built complete — with the source's ack target and acknowledged positions, which the
/// control serves once the source has started, before it emits its first record — and the graph runs fused. Valid events go to the shard region; users acknowledge once durable. Invalid records go to
/// <c>&lt;topic&gt;.dlq</c> with at most <paramref name="deadLetterParallelism"/> DLQ writes outstanding
/// (backpressure), then are acknowledged.
/// </summary>
public static class IngestPipeline
{
    public static IngestControl Start(
        ActorSystem system,
        KafkaSourceSettings settings,
        IActorRef shardRegion,
        DeadLetterProducer deadLetters,
        int partitionCount,
        IPartitionAssignmentListener? listener = null,
        int deadLetterParallelism = 64,
        IMaterializer? materializer = null,
        DataQualitySettings? quality = null)
    {
        LibrdkafkaLoader.EnsureLoaded();
        quality ??= new DataQualitySettings();
        materializer ??= system.Materializer(namePrefix: "kafka-ingest");
        var control = new KafkaSourceControl();
        var handler = new IngestRecordHandler(settings.Topic, shardRegion, deadLetters, partitionCount, control,
            Logging.GetLogger(system, typeof(IngestPipeline)), quality.Timestamps);
        var graph = KafkaEventSource.Create(settings, control, listener)
            .SelectAsyncUnordered(deadLetterParallelism, handler.Handle) // valid records complete at once; Tell order = record order
            .ToMaterialized(Sink.Ignore<NotUsed>(), Keep.Right);
        if (Hosting.IngestDispatcherHostingExtensions.IngestDispatcherOf(system) is { } dispatcher)
            graph = graph.WithAttributes(ActorAttributes.CreateDispatcher(dispatcher));
        var done = graph.Run(materializer);
        var monitor = new IngestMonitor(control, settings.Topic, settings.GroupId, quality);
        _ = control.Completion.ContinueWith(_ => monitor.Dispose(), TaskScheduler.Default);
        _ = done.ContinueWith(_ => monitor.Dispose(), TaskScheduler.Default);
        return new IngestControl(control, done, monitor);
    }
}

/// <summary>The running ingest: the source's control plus the completion of the whole stream.</summary>
public sealed class IngestControl : IKafkaSourceControl, IRunningIngest
{
    private readonly IKafkaSourceControl source;
    private readonly IngestMonitor? _monitor;

    internal IngestControl(IKafkaSourceControl source, Task streamCompletion, IngestMonitor? monitor)
    {
        this.source = source;
        StreamCompletion = streamCompletion;
        _monitor = monitor;
    }

    public IngestControl(IKafkaSourceControl source, Task streamCompletion) : this(source, streamCompletion, null)
    {
    }

    /// <summary>Lag, rates and DLQ rate of the owned partitions as the ingest monitor last sampled them, by partition.</summary>
    public IReadOnlyDictionary<int, PartitionHealth> PartitionHealth => _monitor?.Snapshot ?? new Dictionary<int, PartitionHealth>();

    /// <summary>Completes when the stream ends; faults if it failed (e.g. the DLQ stayed unwritable).</summary>
    public Task StreamCompletion { get; }

    public IActorRef AckTarget => source.AckTarget;

    public Task Completion => source.Completion;

    public IReadOnlyCollection<int> AssignedPartitions => source.AssignedPartitions;

    public long CommittablePosition(int partition) => source.CommittablePosition(partition);

    public KafkaSourceStatus Status() => source.Status();

    public Task DrainAndShutdownAsync(TimeSpan timeout) => source.DrainAndShutdownAsync(timeout);

    public Task ShutdownAsync() => source.ShutdownAsync();
}
