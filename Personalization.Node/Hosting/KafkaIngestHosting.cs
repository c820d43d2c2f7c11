using Akka.Actor;
using Akka.Hosting;
using Personalization.Actors.Ingest;
using Personalization.Actors.Kafka;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Kafka.Source;
using Personalization.Actors.Sharding;
using Personalization.Node.Http;

namespace Personalization.Node.Hosting;

public static class KafkaIngestHosting
{
    /// <summary>
    /// The Kafka side of a node: the consumer pipeline into the user shard region (a hosted service that starts after
    /// Akka and drains before it stops), the producer behind POST /events, and the readiness check "consuming".
    /// </summary>
    public static IServiceCollection AddKafkaIngest(this IServiceCollection services, NodeOptions options)
    {
        services.AddSingleton(_ => new KafkaEventProducer(options.Kafka.BootstrapServers, options.Kafka.Topic, options.Kafka.Config));
        services.AddSingleton<IEventPublisher, KafkaEventPublisher>();
        if (!options.Kafka.Consume) return services;
        services.AddSingleton<KafkaIngestService>();
        services.AddHostedService(sp => sp.GetRequiredService<KafkaIngestService>());
        services.AddReadiness<KafkaIngestService>("kafka");
        services.AddLiveness<KafkaIngestService>("kafka");
        return services;
    }
}

/// <summary>
/// Runs the ingest pipeline for the node's lifetime, supervised (a failed stream starts again from the committed
/// offsets; <see cref="SupervisedIngest"/>); on shutdown stops consuming and waits for in-flight events to become durable.
/// </summary>
public sealed class KafkaIngestService(
    NodeOptions options,
    ActorSystem system,
    IRequiredActor<UserShardRegion> region,
    ILogger<KafkaIngestService> logger) : IHostedService, IReadinessCheck, ILivenessCheck, IDisposable
{
    private DeadLetterProducer? _deadLetters;
    private readonly CancellationTokenSource _stopping = new();
    private Task _starting = Task.CompletedTask;
    private SupervisedIngest? _ingest;
    private Task? _drain;
    private int _disposed;
    private volatile bool _joined;
    private volatile string? _lastClientError;

    public string Name => "kafka";

    /// <summary>The stream running now (null before it starts and while it restarts).</summary>
    public IngestControl? Control => _ingest?.Current as IngestControl;

    /// <summary>
    /// Returns at once: the pipeline starts as soon as the shard region exists (Akka.Hosting registers it while the
    /// host starts, so awaiting it here would hold up the host's start-up).
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _starting = StartPipelineAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    private async Task StartPipelineAsync(CancellationToken cancellationToken)
    {
        var kafka = options.Kafka;
        var shardRegion = await region.GetAsync(cancellationToken);
        if (kafka.Config.Count > 0)
            logger.LogInformation("Kafka client properties (Kafka:Config, for every client): {Properties}", KafkaClientProperties.Describe(kafka.Config));
        _deadLetters = new DeadLetterProducer(kafka.BootstrapServers, properties: kafka.Config);
        var settings = new KafkaSourceSettings
        {
            BootstrapServers = kafka.BootstrapServers,
            Topic = kafka.Topic,
            GroupId = kafka.GroupId,
            ClientId = $"personalization-{Environment.MachineName}",
            MaxInFlightPerPartition = kafka.MaxInFlightPerPartition,
            SessionTimeoutMs = kafka.SessionTimeoutMs,
            PollThreadNice = options.Serving.IngestNice,
            RedeliveryTimeout = TimeSpan.FromSeconds(kafka.RedeliveryTimeoutSeconds),
            ConsumerConfig = kafka.Config,
            OnClientError = reason => _lastClientError = reason,
        };
        var deadLetters = _deadLetters;
        var listener = new JoinedGroupListener(new PartitionAlignedShards(system), () => _joined = true);
        _ingest = new SupervisedIngest(
            () => IngestPipeline.Start(system, settings, shardRegion, deadLetters, kafka.Partitions, listener, quality: options.DataQuality.ToSettings()),
            new IngestRestartSettings
            {
                MinBackoff = TimeSpan.FromSeconds(kafka.RestartMinBackoffSeconds),
                MaxBackoff = TimeSpan.FromSeconds(kafka.RestartMaxBackoffSeconds),
            },
            logger);
        // However the node goes down (SIGTERM, `cluster leave`, downed by the split-brain resolver), ingest drains in
        // service-unbind: before sharding hands users off, so they can still acknowledge what they applied.
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "kafka-ingest-drain", async () =>
        {
            await DrainAsync(downed: CoordinatedShutdown.Get(system).ShutdownReason is CoordinatedShutdown.ClusterDowningReason);
            return Akka.Done.Instance;
        });
        logger.LogInformation("Consuming {Topic} from {Bootstrap} as group {Group} ({Partitions} partitions = shards)", kafka.Topic, kafka.BootstrapServers, kafka.GroupId, kafka.Partitions);
    }

    /// <summary>Normally the drain is over by now (coordinated shutdown ran it); never waits past the host's shutdown timeout.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            await _starting.WaitAsync(cancellationToken);
            await DrainAsync().WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Kafka ingest had not stopped when the host's shutdown timeout ran out; leaving it behind");
        }
        catch (OperationCanceledException)
        {
            // Stopped before the pipeline started: nothing to drain.
        }
        catch (Exception e) when (_starting.IsFaulted)
        {
            logger.LogWarning("Kafka ingest never started ({Reason}); nothing to drain", e.Message);
        }
    }

    /// <summary>
    /// Stops consuming and waits for in-flight events to become durable; the first caller drains, later ones wait for
    /// it. Bounded whatever is gone: committing and closing the consumer block inside librdkafka while the broker is
    /// unreachable, so after the drain budget the node stops waiting (the poll thread is a background thread) and
    /// the partitions' next owner reads the uncommitted events again.
    /// </summary>
    /// <param name="downed">The node was downed (split-brain resolver, <c>cluster down</c>): sharding stopped its shard
    /// region at once, so nothing in flight can be acknowledged any more. The drain commits the acknowledged prefix and
    /// closes the consumer without waiting, instead of holding the partitions from their next owner for the timeout.</param>
    private Task DrainAsync(bool downed = false)
    {
        if (_ingest is null) return Task.CompletedTask;
        lock (_stopping)
        {
            return _drain ??= DrainBoundedAsync(_ingest, downed);
        }
    }

    private async Task DrainBoundedAsync(SupervisedIngest ingest, bool downed)
    {
        var shutdown = options.Shutdown;
        var wait = downed ? TimeSpan.Zero : shutdown.DrainTimeout;
        if (downed) logger.LogInformation("Draining Kafka ingest of a downed node: its users are stopped, committing what is durable without waiting");
        else logger.LogInformation("Draining Kafka ingest: waiting up to {Timeout} s for in-flight events to become durable", shutdown.DrainTimeoutSeconds);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await ingest.DrainAndShutdownAsync(wait).WaitAsync(wait + TimeSpan.FromSeconds(NodeOptions.ShutdownOptions.ConsumerCloseSeconds));
            logger.LogInformation("Kafka ingest drained in {Elapsed:0.0} s: consumer closed", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        catch (TimeoutException)
        {
            logger.LogWarning(
                "Kafka ingest did not finish draining within {Budget} s (is the broker reachable?); stopped waiting: events not committed are read again by the partitions' next owner",
                shutdown.DrainBudget.TotalSeconds);
        }
        catch (Exception e)
        {
            logger.LogWarning("Kafka ingest stopped with an error while draining ({Reason}); events not committed are read again by the partitions' next owner", e.Message);
        }
    }

    /// <summary>
    /// Ready once the consumer has joined its group (got an assignment, possibly empty). Until then the detail says
    /// what it waits for and the client's last error: a broker that is unreachable, or refuses the TLS/SASL settings,
    /// keeps the node out of service with the reason instead of crashing it.
    /// </summary>
    public (bool Ready, string Detail) Check() => (_ingest, Control) switch
    {
        (null, _) => (false, _starting.IsFaulted ? $"failed to start: {_starting.Exception!.InnerException!.Message}" : "starting"),
        ({ RestartCount: 0, LastError: null }, null) => (false, "starting the consumer"),
        ({ } i, null or { StreamCompletion.IsCompleted: true }) => (false, $"restarting after a failure ({i.RestartCount} restarts; last: {i.LastError})"),
        _ when !_joined => (false, $"joining consumer group {options.Kafka.GroupId} at {options.Kafka.BootstrapServers}"
            + (_lastClientError is { } error ? $"; last client error: {error}" : "")),
        (_, { } c) => (true, $"consuming {c.AssignedPartitions.Count} partitions"),
    };

    (bool Live, string Detail) ILivenessCheck.Check() =>
        _ingest is null || _ingest.Healthy(TimeSpan.FromSeconds(options.Kafka.UnhealthyAfterSeconds))
            ? (true, "running")
            : (false, $"ingest has failed since {_ingest.FailingSince:O} ({_ingest.RestartCount} restarts; last: {_ingest.LastError})");

    /// <summary>Idempotent: DI disposes the one instance once per registration that hands it out.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _deadLetters?.Dispose();
        _stopping.Dispose();
    }
}

/// <summary>Passes assignments on, and says once that the consumer has joined its group (the first assignment, even an empty one).</summary>
internal sealed class JoinedGroupListener(IPartitionAssignmentListener inner, Action joined) : IPartitionAssignmentListener
{
    public void OnAssigned(IReadOnlyList<int> partitions)
    {
        joined();
        inner.OnAssigned(partitions);
    }

    public void OnRevoked(IReadOnlyList<int> partitions, bool lost) => inner.OnRevoked(partitions, lost);
}
