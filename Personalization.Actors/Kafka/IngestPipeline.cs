using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace Personalization.Actors.Kafka;

/// <summary>
/// Kafka → parse/validate → user shard region (or DLQ). Valid events go to the shard region with the source as
/// AckTo; users acknowledge once durable. Invalid records go to <c>&lt;topic&gt;.dlq</c> with at most
/// <paramref name="deadLetterParallelism"/> DLQ writes outstanding (backpressure), then are acknowledged.
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
        IMaterializer? materializer = null)
    {
        LibrdkafkaLoader.EnsureLoaded();
        var handler = new IngestRecordHandler(settings.Topic, shardRegion, deadLetters, partitionCount,
            Logging.GetLogger(system, typeof(IngestPipeline)));
        var (control, done) = KafkaEventSource.Create(settings, listener)
            .SelectAsyncUnordered(deadLetterParallelism, handler.Handle) // valid records complete at once; Tell order = record order
            .ToMaterialized(Sink.Ignore<NotUsed>(), Keep.Both)
            .Run(materializer ?? system.Materializer(namePrefix: "kafka-ingest"));
        handler.CommittablePosition = control.CommittablePosition;
        return new IngestControl(control, done);
    }
}

/// <summary>The running ingest: the source's control plus the completion of the whole stream.</summary>
public sealed class IngestControl(IKafkaSourceControl source, Task streamCompletion) : IKafkaSourceControl
{
    /// <summary>Completes when the stream ends; faults if it failed (e.g. the DLQ stayed unwritable).</summary>
    public Task StreamCompletion { get; } = streamCompletion;

    public Task Completion => source.Completion;

    public IReadOnlyCollection<int> AssignedPartitions => source.AssignedPartitions;

    public long CommittablePosition(int partition) => source.CommittablePosition(partition);

    public KafkaSourceStatus Status() => source.Status();

    public Task DrainAndShutdownAsync(TimeSpan timeout) => source.DrainAndShutdownAsync(timeout);

    public Task ShutdownAsync() => source.ShutdownAsync();
}
