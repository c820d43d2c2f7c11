using Akka.Actor;
using Akka.Hosting;
using Personalization.Actors.Ingest;
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
        services.AddSingleton(_ => new KafkaEventProducer(options.Kafka.BootstrapServers, options.Kafka.Topic));
        services.AddSingleton<IEventPublisher, KafkaEventPublisher>();
        if (!options.Kafka.Consume) return services;
        services.AddSingleton<KafkaIngestService>();
        services.AddHostedService(sp => sp.GetRequiredService<KafkaIngestService>());
        services.AddSingleton<IReadinessCheck>(sp => sp.GetRequiredService<KafkaIngestService>());
        services.AddSingleton<ILivenessCheck>(sp => sp.GetRequiredService<KafkaIngestService>());
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
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(15);
    private DeadLetterProducer? _deadLetters;
    private readonly CancellationTokenSource _stopping = new();
    private Task _starting = Task.CompletedTask;
    private SupervisedIngest? _ingest;
    private Task? _drain;
    private int _disposed;

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
        _deadLetters = new DeadLetterProducer(kafka.BootstrapServers);
        var settings = new KafkaSourceSettings
        {
            BootstrapServers = kafka.BootstrapServers,
            Topic = kafka.Topic,
            GroupId = kafka.GroupId,
            ClientId = $"personalization-{Environment.MachineName}",
            MaxInFlightPerPartition = kafka.MaxInFlightPerPartition,
            SessionTimeoutMs = kafka.SessionTimeoutMs,
            RedeliveryTimeout = TimeSpan.FromSeconds(kafka.RedeliveryTimeoutSeconds),
        };
        var deadLetters = _deadLetters;
        var shards = new PartitionAlignedShards(system);
        _ingest = new SupervisedIngest(
            () => IngestPipeline.Start(system, settings, shardRegion, deadLetters, kafka.Partitions, shards),
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
            await DrainAsync();
            return Akka.Done.Instance;
        });
        logger.LogInformation("Consuming {Topic} from {Bootstrap} as group {Group} ({Partitions} partitions = shards)", kafka.Topic, kafka.BootstrapServers, kafka.GroupId, kafka.Partitions);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            await _starting;
        }
        catch (OperationCanceledException)
        {
        }

        await DrainAsync();
    }

    /// <summary>Stops consuming and waits for in-flight events to become durable; the first caller drains, later ones wait for it.</summary>
    private Task DrainAsync()
    {
        if (_ingest is null) return Task.CompletedTask;
        lock (_stopping)
        {
            if (_drain is null)
            {
                logger.LogInformation("Draining Kafka ingest: waiting up to {Timeout} s for in-flight events to become durable", DrainTimeout.TotalSeconds);
                _drain = _ingest.DrainAndShutdownAsync(DrainTimeout);
            }

            return _drain;
        }
    }

    public (bool Ready, string Detail) Check() => (_ingest, Control) switch
    {
        (null, _) => (false, _starting.IsFaulted ? $"failed to start: {_starting.Exception!.InnerException!.Message}" : "starting"),
        (_, { StreamCompletion.IsCompleted: false } c) => (true, $"consuming {c.AssignedPartitions.Count} partitions"),
        ({ } i, _) => (false, $"restarting after a failure ({i.RestartCount} restarts; last: {i.LastError})"),
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
