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
using Personalization.Actors.Events;
using Personalization.Actors.Hosting;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Kafka.Source;
using Personalization.Actors.Model;
using Personalization.Actors.Persistence;
using Personalization.Actors.Sessions;
using Personalization.LoadTest.Infra;
using Personalization.Node.Local;

namespace Personalization.LoadTest.Scenarios;

/// <summary>Each component alone, on the same data and settings the engine uses.</summary>
public static class Ceilings
{
    public static async Task<ScenarioResult> RunAsync(BenchContext ctx)
    {
        var r = new ScenarioResult { Scenario = "ceilings", Title = "component ceilings (each part alone)", Quick = ctx.Quick };
        var clock = Stopwatch.StartNew();

        // Kafka: raw Confluent consumer, tuned settings of KafkaSourceSettings, JSON parse per record.
        var events = ctx.Quick ? 100_000 : 400_000;
        var topic = ctx.NewTopic("ceil");
        var produceRate = await ctx.ProduceAsync(topic, ctx.Workload(events, 31_013), events);
        r.Row(("component", "Kafka produce (KafkaEventProducer, acks=all, idempotent)"), ("setup", $"{events:N0} events, {BenchContext.Partitions} partitions"), ("per second", Math.Round(produceRate)), ("unit", "events"));
        var consume = KafkaConsume(ctx, topic, events);
        r.Figures["kafka_consume_per_s"] = consume;
        r.Row(("component", "Kafka consume (raw Confluent consumer + JSON parse)"), ("setup", "tuned fetch settings of KafkaSourceSettings"), ("per second", consume), ("unit", "events"));
        Console.WriteLine($"  kafka consume: {consume:N0}/s");

        // Model.
        using (var model = OnnxSequenceModel.Open(ctx.ModelPath))
        {
            var b1 = ModelSteps(model, 1, TimeSpan.FromSeconds(ctx.Quick ? 1 : 2));
            var b256 = ModelSteps(model, 256, TimeSpan.FromSeconds(ctx.Quick ? 1 : 2));
            r.Row(("component", "model step, OnnxSequenceModel B=1"), ("setup", "bound buffers, 1 intra-op thread"), ("per second", b1), ("unit", "steps"));
            r.Row(("component", "model step, OnnxSequenceModel B=256"), ("setup", "bound buffers, 1 intra-op thread"), ("per second", b256), ("unit", "steps"));
            r.Figures["model_b1_per_s"] = b1;
            r.Figures["model_b256_per_s"] = b256;
            Console.WriteLine($"  model: B=1 {b1:N0}/s, B=256 {b256:N0}/s");
        }

        var naiveModel = NaiveModelRate(ctx, TimeSpan.FromSeconds(ctx.Quick ? 1 : 2));
        r.Row(("component", "model step, naive (NamedOnnxValue, B=1)"), ("setup", "new tensors per run"), ("per second", naiveModel), ("unit", "steps"));
        r.Figures["model_naive_per_s"] = naiveModel;
        var batcher = await BatcherRate(ctx, TimeSpan.FromSeconds(ctx.Quick ? 2 : 3));
        r.Row(("component", "model step, InferenceBatcher (4,096 callers)"), ("setup", "max batch 256, no linger"), ("per second", batcher), ("unit", "steps"));
        r.Figures["model_batcher_per_s"] = batcher;
        Console.WriteLine($"  model: naive {naiveModel:N0}/s, batcher {batcher:N0}/s");

        // Journal.
        // Both journals: Akka.Persistence.Sql's (append-only; the naive baseline's) and the engine's CheckpointJournal.
        foreach (var (journal, label, key) in new[]
                 {
                     (JournalKind.AkkaPersistenceSql, "Akka.Persistence.Sql", "journal"),
                     (JournalKind.CheckpointJournal, "CheckpointJournal", "checkpoint_journal"),
                 })
        {
            foreach (var store in new[] { "sqlite", "postgresql" })
            {
                foreach (var mode in new[] { "Persist one by one", "PersistAll x10", "PersistAsync (all at once)" })
                {
                    var rate = await JournalRate(ctx, store, mode, journal);
                    r.Row(("component", $"{label} {store}: {mode}"), ("setup", "1,000 actors, UserCheckpoint rows (protobuf, ~1 KB)"), ("per second", rate), ("unit", "rows"));
                    r.Figures[$"{key}_{store}_{mode.Split(' ')[0].ToLowerInvariant()}_per_s"] = rate;
                    Console.WriteLine($"  {label} {store} {mode}: {rate:N0}/s");
                }
            }
        }

        // Sharding.
        var (touch, tell) = await ShardingRate(ctx);
        r.Row(("component", "sharding: first touch (entity start)"), ("setup", "10,000 entities, local shard region"), ("per second", touch), ("unit", "entities"));
        r.Row(("component", "sharding: Tell to started entities"), ("setup", "local shard region"), ("per second", tell), ("unit", "messages"));
        r.Figures["sharding_tell_per_s"] = tell;
        r.Figures["sharding_touch_per_s"] = touch;
        Console.WriteLine($"  sharding: touch {touch:N0}/s, tell {tell:N0}/s");
        r.Notes.Add("Per-event CPU bound of the engine path = 1 / (1/consume + 1/batcher + 1/sharding-tell + checkpoints-per-event/CheckpointJournal-PersistAsync); computed in the README from the e2e run's checkpoints per event.");
        r.DurationSeconds = clock.Elapsed.TotalSeconds;
        return r;
    }

    private static double KafkaConsume(BenchContext ctx, string topic, int count)
    {
        var settings = new KafkaSourceSettings { BootstrapServers = ctx.Bootstrap, Topic = topic, GroupId = "ceil-" + Guid.NewGuid().ToString("N")[..8] };
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(settings.ToConsumerConfig()).Build();
        consumer.Assign(Enumerable.Range(0, BenchContext.Partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var received = 0;
        Stopwatch? clock = null;
        while (received < count)
        {
            var result = consumer.Consume(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException($"raw consumer got {received} of {count}");
            clock ??= Stopwatch.StartNew();
            if (!ListeningEventJson.TryParse(result.Message.Value, 0, out _, out _)) throw new InvalidOperationException("bad record");
            received++;
        }

        return Math.Round((count - 1) / clock!.Elapsed.TotalSeconds);
    }

    private static double ModelSteps(OnnxSequenceModel model, int batch, TimeSpan duration)
    {
        var random = new Random(1);
        var items = model.StepItems(batch);
        for (var i = 0; i < batch; i++) items[i] = random.Next(1, model.ItemCount);
        model.StepStates(batch).Clear();
        for (var i = 0; i < 50; i++) model.RunStep(batch);
        long runs = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            model.RunStep(batch);
            runs++;
        }

        return Math.Round(runs * batch / clock.Elapsed.TotalSeconds);
    }

    private static double NaiveModelRate(BenchContext ctx, TimeSpan duration)
    {
        using var model = new NaiveModel(ctx.ModelPath);
        var state = new float[model.StateSize];
        var random = new Random(1);
        for (var i = 0; i < 100; i++) model.Step(state, random.Next(1, 1000));
        long runs = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            state = model.Step(state, random.Next(1, 20000));
            runs++;
        }

        return Math.Round(runs / clock.Elapsed.TotalSeconds);
    }

    private static async Task<double> BatcherRate(BenchContext ctx, TimeSpan duration)
    {
        await using var batcher = InferenceBatcher.Open(ctx.ModelPath);
        const int callers = 4096;
        long steps = 0;
        var stop = DateTime.UtcNow + duration + TimeSpan.FromSeconds(0.5);
        var clock = Stopwatch.StartNew();
        long startSteps = 0;
        var startAt = TimeSpan.FromSeconds(0.5);
        var measuring = false;
        TimeSpan t0 = default;
        async Task Caller(int seed)
        {
            var random = new Random(seed);
            var state = new float[batcher.StateSize];
            var item = new int[1];
            while (DateTime.UtcNow < stop)
            {
                item[0] = random.Next(1, batcher.Vocabulary.Count);
                state = await batcher.StepAsync(state, item).ConfigureAwait(false);
                Interlocked.Increment(ref steps);
            }
        }

        var tasks = Enumerable.Range(0, callers).Select(i => Task.Run(() => Caller(i))).ToList();
        while (!measuring)
        {
            await Task.Delay(20);
            if (clock.Elapsed >= startAt)
            {
                startSteps = Interlocked.Read(ref steps);
                t0 = clock.Elapsed;
                measuring = true;
            }
        }

        await Task.Delay(duration);
        var measured = Interlocked.Read(ref steps) - startSteps;
        var seconds = (clock.Elapsed - t0).TotalSeconds;
        await Task.WhenAll(tasks);
        return Math.Round(measured / seconds);
    }

    // ---------------------------------------------------------------- journal

    public sealed class JournalRegistry;

    private sealed record WriteBurst(int Events, string Mode, TaskCompletionSource Done);

    private sealed class JournalWriter : ReceivePersistentActor
    {
        public JournalWriter(string id, UserCheckpoint payload)
        {
            PersistenceId = id;
            Command<WriteBurst>(burst =>
            {
                var left = burst.Events;
                switch (burst.Mode)
                {
                    case "Persist one by one":
                        void Next()
                        {
                            Persist(payload, _ =>
                            {
                                if (--left == 0) burst.Done.TrySetResult();
                                else Next();
                            });
                        }

                        Next();
                        break;
                    case "PersistAll x10":
                        void NextGroup()
                        {
                            var group = Math.Min(10, left);
                            var done = 0;
                            PersistAll(Enumerable.Repeat(payload, group), _ =>
                            {
                                left--;
                                if (++done < group) return;
                                if (left == 0) burst.Done.TrySetResult();
                                else NextGroup();
                            });
                        }

                        NextGroup();
                        break;
                    default:
#pragma warning disable AK1006 // on purpose: many outstanding writes per actor, as many users' checkpoints in flight at once
                        for (var i = 0; i < burst.Events; i++)
                            PersistAsync(payload, _ =>
                            {
                                if (--left == 0) burst.Done.TrySetResult();
                            });
#pragma warning restore AK1006
                        break;
                }
            });
        }

        public override string PersistenceId { get; }
    }

    public static UserCheckpoint SampleCheckpoint(BenchContext ctx)
    {
        var session = new SessionRecord("u12345", 50);
        var random = new Random(3);
        for (var i = 0; i < 20; i++) session.Apply(ctx.ItemIds[random.Next(ctx.ItemIds.Length)], EventType.Play, 1_732_500_000_000 + i, 3, i);
        session.SetModelState(Enumerable.Range(0, 64).Select(i => (float)Math.Sin(i)).ToArray(), "gru", "v1", 20);
        return session.ToCheckpoint();
    }

    private enum JournalKind
    {
        AkkaPersistenceSql,
        CheckpointJournal,
    }

    private static async Task<double> JournalRate(BenchContext ctx, string store, string mode, JournalKind journal)
    {
        var (provider, connection) = await ctx.NewStoreAsync(store, "journal-" + Guid.NewGuid().ToString("N")[..6]);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var storeProvider = CheckpointStoreOptions.ParseProvider(provider);
        builder.Services.AddAkka("journal", (akka, _) =>
        {
            akka.WithPersonalizationSerialization();
            if (journal == JournalKind.AkkaPersistenceSql) akka.WithAkkaPersistenceSql(storeProvider, connection);
            // The writers use the default journal: here it is the checkpoint journal, as the user actors name it.
            else akka.WithCheckpointStore(new CheckpointStoreOptions(storeProvider, connection))
                .AddHocon($"akka.persistence.journal.plugin = \"{CheckpointJournal.PluginId}\"", HoconAddMode.Prepend);
        });
        using var host = builder.Build();
        await host.StartAsync();
        var system = host.Services.GetRequiredService<ActorSystem>();
        var payload = SampleCheckpoint(ctx);
        const int actors = 1000;
        var perActor = mode.StartsWith("Persist one", StringComparison.Ordinal) ? (ctx.Quick ? 3 : 10) : (ctx.Quick ? 10 : 40);
        var writers = Enumerable.Range(0, actors).Select(i => system.ActorOf(Props.Create(() => new JournalWriter($"j-{i}", payload)))).ToArray();
        // warm-up: one write each (creates the table, opens connections, recovers the actors)
        await Task.WhenAll(writers.Select(w => Burst(w, 1, mode)));
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(writers.Select(w => Burst(w, perActor, mode)));
        var rate = actors * perActor / clock.Elapsed.TotalSeconds;
        await host.StopAsync();
        return Math.Round(rate);
    }

    private static Task Burst(IActorRef writer, int events, string mode)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        writer.Tell(new WriteBurst(events, mode, done));
        return done.Task;
    }

    // ---------------------------------------------------------------- sharding

    public sealed class CountingRegion;

    private sealed record Hit(string Id);

    private sealed class Counting : ReceiveActor
    {
        public static long Count;
        public static long Target;
        public static TaskCompletionSource Done = new();

        public Counting() => Receive<Hit>(_ =>
        {
            if (Interlocked.Increment(ref Count) == Target) Done.TrySetResult();
        });
    }

    private sealed class HitExtractor() : HashCodeMessageExtractor(BenchContext.Partitions)
    {
        public override string? EntityId(object message) => (message as Hit)?.Id;
    }

    private static async Task<(double Touch, double Tell)> ShardingRate(BenchContext ctx)
    {
        var port = Personalization.Node.Hosting.FreePorts.Next();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAkka("shard", (akka, _) => akka
            .WithRemoting("127.0.0.1", port)
            .WithClustering(new ClusterOptions { SeedNodes = [$"akka.tcp://shard@127.0.0.1:{port}"] })
            .WithShardRegion<CountingRegion>("count", _ => Props.Create<Counting>(), new HitExtractor(), new ShardOptions { StateStoreMode = StateStoreMode.DData }));
        using var host = builder.Build();
        await host.StartAsync();
        var system = host.Services.GetRequiredService<ActorSystem>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Cluster.Get(system).SelfMember.Status != MemberStatus.Up && DateTime.UtcNow < deadline) await Task.Delay(100);
        var region = await host.Services.GetRequiredService<IRequiredActor<CountingRegion>>().GetAsync();
        const int entities = 10_000;
        var hits = Enumerable.Range(0, entities).Select(i => new Hit("e" + i)).ToArray();

        async Task<double> Round(long messages)
        {
            Interlocked.Exchange(ref Counting.Count, 0);
            Counting.Target = messages;
            Counting.Done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var clock = Stopwatch.StartNew();
            for (long i = 0; i < messages; i++) region.Tell(hits[i % entities]);
            await Counting.Done.Task.WaitAsync(TimeSpan.FromMinutes(2));
            return Math.Round(messages / clock.Elapsed.TotalSeconds);
        }

        var touch = await Round(entities);
        await Round(entities * 10); // warm
        var tell = await Round(ctx.Quick ? 300_000 : 1_000_000);
        await host.StopAsync();
        return (touch, tell);
    }
}
