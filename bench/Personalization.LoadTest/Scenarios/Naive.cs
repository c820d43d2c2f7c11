using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Persistence;
using Akka.Remote.Hosting;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Personalization.Actors.Events;
using Personalization.Actors.Hosting;
using Personalization.Actors.Model;
using Personalization.Actors.Routing;
using Personalization.LoadTest.Infra;
using Personalization.Node.Local;

namespace Personalization.LoadTest.Scenarios;

/// <summary>The event the naive design journals: every single one.</summary>
public sealed record NaiveEvent(string UserId, string ItemId, int Type, long Timestamp, int Partition, long Offset);

public sealed class NaiveAck
{
    public static readonly NaiveAck Instance = new();
}

/// <summary>
/// The user actor a hurried team writes: per event a synchronous <c>Persist</c> (journal every event), then one
/// unbatched model run (B=1, on the actor's thread, with NamedOnnxValue tensors), then a reply to the asker.
/// </summary>
public sealed class NaiveUserActor : ReceivePersistentActor
{
    private float[] _state;
    private long _events;

    public NaiveUserActor(string userId, NaiveModel model)
    {
        PersistenceId = "naive-" + userId;
        _state = new float[model.StateSize];
        Recover<NaiveEvent>(e => Apply(model, e));
        Command<NaiveEvent>(e => Persist(e, persisted =>
        {
            Apply(model, persisted);
            Sender.Tell(NaiveAck.Instance);
        }));
    }

    public override string PersistenceId { get; }

    private void Apply(NaiveModel model, NaiveEvent e)
    {
        _events++;
        var index = model.Vocabulary.IndexOf(e.ItemId);
        if (index > 0 && e.Type is 0 or 2 or 3) _state = model.Step(_state, index);
    }
}

/// <summary>One ONNX run per event, B=1, no batching, no buffer reuse: InferenceSession.Run is thread-safe.</summary>
public sealed class NaiveModel : IDisposable
{
    private readonly InferenceSession _session;

    public NaiveModel(string folder)
    {
        var f = ModelFolder.Load(folder);
        Vocabulary = f.Vocabulary;
        StateSize = f.Manifest.HiddenSize;
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        _session = new InferenceSession(f.StepGraphPath, options);
    }

    public ItemVocabulary Vocabulary { get; }
    public int StateSize { get; }

    public float[] Step(float[] state, int item)
    {
        var inputs = new[]
        {
            NamedOnnxValue.CreateFromTensor("item", new DenseTensor<long>(new[] { (long)item }, [1])),
            NamedOnnxValue.CreateFromTensor("state", new DenseTensor<float>(state, [1, StateSize])),
        };
        using var results = _session.Run(inputs);
        return results.First().AsEnumerable<float>().ToArray();
    }

    /// <summary>Query side of the naive design: the whole score row per query, B=1, top-k by sorting.</summary>
    public void Dispose() => _session.Dispose();
}

public sealed class NaiveRegion;

public sealed class NaiveExtractor(int shards) : HashCodeMessageExtractor(shards)
{
    public override string? EntityId(object message) => (message as NaiveEvent)?.UserId;
    public override string ShardId(string entityId, object? messageHint = null) => KafkaPartitioner.PartitionFor(entityId, MaxNumberOfShards).ToString();
}

/// <summary>
/// The naive pipeline: a Confluent consumer with enable.auto.commit (offsets stored when consumed, committed every
/// 5 s — not at-least-once), per event an Ask to the user's shard region; up to <c>inFlight</c> Asks outstanding.
/// </summary>
public static class Naive
{
    public static async Task<(double Rate, long Acked, double Seconds, Dictionary<string, double> Resources)> RunAsync(
        BenchContext ctx, string store, string topic, int inFlight, TimeSpan warmup, TimeSpan window, long available)
    {
        var (provider, connection) = await ctx.NewStoreAsync(store, "naive-" + Guid.NewGuid().ToString("N")[..6]);
        using var model = new NaiveModel(ctx.ModelPath);
        var port = Personalization.Node.Hosting.FreePorts.Next();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAkka("naive", (akka, _) => akka
            .WithRemoting("127.0.0.1", port)
            .WithClustering(new ClusterOptions { SeedNodes = [$"akka.tcp://naive@127.0.0.1:{port}"] })
            // The append-only journal: a per-event Persist stream needs every event replayed, not the latest.
            .WithAkkaPersistenceSql(CheckpointStoreOptions.ParseProvider(provider), connection)
            .WithShardRegion<NaiveRegion>("naive-user", id => Props.Create(() => new NaiveUserActor(id, model)),
                new NaiveExtractor(BenchContext.Partitions), new ShardOptions { StateStoreMode = StateStoreMode.DData, RememberEntities = false }));
        using var host = builder.Build();
        await host.StartAsync();
        var system = host.Services.GetRequiredService<ActorSystem>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Cluster.Get(system).SelfMember.Status != MemberStatus.Up && DateTime.UtcNow < deadline) await Task.Delay(100);
        var region = await host.Services.GetRequiredService<IRequiredActor<NaiveRegion>>().GetAsync();

        long acked = 0;
        long failed = 0;
        using var gate = new SemaphoreSlim(inFlight);
        using var stop = new CancellationTokenSource();
        var consumerTask = Task.Factory.StartNew(() =>
        {
            using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
            {
                BootstrapServers = ctx.Bootstrap,
                GroupId = topic + "-naive-" + inFlight + "-" + store,
                EnableAutoCommit = true,
                EnableAutoOffsetStore = true,
                AutoOffsetReset = AutoOffsetReset.Earliest,
            }).Build();
            consumer.Subscribe(topic);
            while (!stop.IsCancellationRequested)
            {
                var r = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (r is null) continue;
                if (!ListeningEventJson.TryParse(r.Message.Value, r.Message.Timestamp.UnixTimestampMs, out var e, out _)) continue;
                gate.Wait();
                var ask = region.Ask<NaiveAck>(new NaiveEvent(e!.UserId, e.ItemId, (int)e.Type, e.Timestamp, r.Partition.Value, r.Offset.Value), TimeSpan.FromSeconds(30));
                ask.ContinueWith(t =>
                {
                    if (t.IsCompletedSuccessfully) Interlocked.Increment(ref acked);
                    else Interlocked.Increment(ref failed);
                    gate.Release();
                }, TaskContinuationOptions.ExecuteSynchronously);
            }

            consumer.Close();
        }, TaskCreationOptions.LongRunning);

        // Warm-up (group join, first entities), then a fixed window; stops early when the topic is used up.
        var clock = Stopwatch.StartNew();
        while (Interlocked.Read(ref acked) == 0 && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(20);
        await Task.Delay(warmup);
        var a0 = Interlocked.Read(ref acked);
        var res = ResourceSample.Now();
        var t0 = clock.Elapsed;
        while (clock.Elapsed - t0 < window && Interlocked.Read(ref acked) < available) await Task.Delay(50);
        var a1 = Interlocked.Read(ref acked);
        var seconds = (clock.Elapsed - t0).TotalSeconds;
        var resources = ResourceSample.Now().Since(res, a1 - a0);
        await stop.CancelAsync();
        await consumerTask;
        await host.StopAsync();
        var rate = (a1 - a0) / seconds;
        Console.WriteLine($"  naive [{store}, {inFlight} Asks in flight]: {rate:N0} ev/s over {seconds:0.0} s ({a1 - a0:N0} acked, {Interlocked.Read(ref failed)} failed), cpu {resources["cpu_cores_used"]} cores, alloc/event {resources["alloc_bytes_per_event"]} B");
        return (Math.Round(rate), a1 - a0, Math.Round(seconds, 1), resources);
    }
}
