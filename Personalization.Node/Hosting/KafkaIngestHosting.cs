using Akka.Actor;
using Akka.Hosting;
using Personalization.Actors.Sharding;
using Personalization.Node.Http;
using Personalization.Actors.Delivery;
using Personalization.Actors.Ingest;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Kafka.Source;

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
        return services;
    }
}

/// <summary>Runs the ingest pipeline for the node's lifetime; on shutdown stops consuming and waits for in-flight events to become durable.</summary>
public sealed class KafkaIngestService(
    NodeOptions options,
    ActorSystem system,
    IRequiredActor<UserShardRegion> region,
    ILogger<KafkaIngestService> logger) : IHostedService, IReadinessCheck, IDisposable
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(15);
    private DeadLetterProducer? _deadLetters;
    private readonly CancellationTokenSource _stopping = new();
    private Task _starting = Task.CompletedTask;
    private IngestControl? _control;
    private Task? _drain;
    private int _disposed;

    public string Name => "kafka";

    public IngestControl? Control => _control;

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
        _control = IngestPipeline.Start(system, settings, shardRegion, _deadLetters, kafka.Partitions, new PartitionAlignedShards(system));
        // However the node goes down (SIGTERM, `cluster leave`, downed by the split-brain resolver), ingest drains in
        // service-unbind: before sharding hands users off, so they can still acknowledge what they applied.
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "kafka-ingest-drain", async () =>
        {
            await DrainAsync();
            return Akka.Done.Instance;
        });
        _ = _control.StreamCompletion.ContinueWith(
            t => logger.LogError(t.Exception, "Kafka ingest stopped with an error; the node no longer consumes"),
            TaskContinuationOptions.OnlyOnFaulted);
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
        if (_control is null) return Task.CompletedTask;
        lock (_stopping)
        {
            if (_drain is null)
            {
                logger.LogInformation("Draining Kafka ingest: waiting up to {Timeout} s for in-flight events to become durable", DrainTimeout.TotalSeconds);
                _drain = _control.DrainAndShutdownAsync(DrainTimeout);
            }

            return _drain;
        }
    }

    public (bool Ready, string Detail) Check() => _control switch
    {
        null => (false, _starting.IsFaulted ? $"failed to start: {_starting.Exception!.InnerException!.Message}" : "starting"),
        { StreamCompletion.IsCompleted: true } => (false, "stopped"),
        { } c => (true, $"consuming {c.AssignedPartitions.Count} partitions"),
    };

    /// <summary>Idempotent: DI disposes the one instance once per registration that hands it out.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _deadLetters?.Dispose();
        _stopping.Dispose();
    }
}
