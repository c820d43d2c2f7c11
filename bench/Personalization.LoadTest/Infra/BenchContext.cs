using System.Diagnostics;
using Confluent.Kafka;
using Personalization.Actors.Events;
using Personalization.Actors.Kafka.Broker;
using Personalization.Actors.Kafka.Producers;
using Personalization.Node.Local;
namespace Personalization.LoadTest.Infra;

/// <summary>What every scenario shares in one run: the embedded broker, a PostgreSQL server (started on first use),
/// the item ids of the model, the output folder and the size preset (full or --quick).</summary>
public sealed class BenchContext : IAsyncDisposable
{
    /// <summary>Partitions of every topic (= shards). The mock broker keeps ~5 MiB / 100k records per partition, so 1M
    /// events need more than the usual 12; 24 keeps each partition near 45k records / 4 MiB.</summary>
    public const int Partitions = 24;

    private LocalPostgres? _pg;
    private int _topics;

    public BenchContext(string outDir, bool quick)
    {
        OutDir = Path.GetFullPath(outDir);
        Directory.CreateDirectory(OutDir);
        Quick = quick;
        Root = FindRoot();
        ModelPath = Environment.GetEnvironmentVariable("PERSONALIZATION_MODEL_DIR") is { Length: > 0 } m ? m : Path.Combine(Root, "models", "default");
        ItemIds = File.ReadAllLines(Path.Combine(ModelPath, "items.txt")).Skip(1).Where(l => l.Length > 0).ToArray();
        WorkDir = Path.Combine(Path.GetTempPath(), "pz-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(WorkDir);
        Broker = EmbeddedKafkaBroker.Start(brokers: 1);
    }

    public string OutDir { get; }
    public bool Quick { get; }
    public string Root { get; }
    public string ModelPath { get; }
    public string[] ItemIds { get; }
    public string WorkDir { get; }
    public EmbeddedKafkaBroker Broker { get; }
    public string Bootstrap => Broker.BootstrapServers;

    /// <summary>Max end-to-end rate measured in this run (events/s), for the fixed-rate scenarios.</summary>
    public double? MaxIngestRate { get; set; }

    public async Task<LocalPostgres> PostgresAsync() => _pg ??= await LocalPostgres.StartAsync("-c shared_buffers=256MB");

    public string NewTopic(string prefix)
    {
        var name = $"{prefix}-{Interlocked.Increment(ref _topics)}-{Guid.NewGuid():N}"[..(prefix.Length + 12)];
        Broker.CreateTopic(name, Partitions);
        Broker.CreateTopic(DeadLetterProducer.DeadLetterTopicFor(name), Partitions);
        return name;
    }

    /// <summary>(provider, connection string) of a fresh store.</summary>
    public async Task<(string Provider, string Connection)> NewStoreAsync(string kind, string name)
    {
        if (kind == "sqlite") return ("sqlite", $"Data Source={Path.Combine(WorkDir, name + ".db")}");
        var pg = await PostgresAsync();
        return ("postgresql", await pg.CreateDatabaseAsync(name.Replace('-', '_')));
    }

    /// <summary>Synthetic users "u&lt;n&gt;" with real item ids (uniform), mostly plays; ts = a fixed epoch + i.</summary>
    public IEnumerable<ListeningEvent> Workload(long events, int users, int seed = 7)
    {
        var random = new Random(seed);
        var types = new[] { EventType.Play, EventType.Play, EventType.Play, EventType.Play, EventType.Play, EventType.Play, EventType.Skip, EventType.Like };
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (long i = 0; i < events; i++)
        {
            // every user gets events (users ≥ events: each user one event at most)
            var user = users >= events ? i : random.NextInt64(users);
            yield return new ListeningEvent("u" + user, ItemIds[random.Next(ItemIds.Length)], types[random.Next(types.Length)], now);
        }
    }

    /// <summary>Produces the events (all acknowledged on return); checks the broker kept all of them.</summary>
    public Task<double> ProduceAsync(string topic, IEnumerable<ListeningEvent> events, long expected) => ProduceMoreAsync(topic, events, expected, 0);

    /// <summary>Produces <paramref name="expected"/> more events into a topic that holds <paramref name="already"/>.</summary>
    public async Task<double> ProduceMoreAsync(string topic, IEnumerable<ListeningEvent> events, long expected, long already)
    {
        var clock = Stopwatch.StartNew();
        using (var producer = new KafkaEventProducer(Bootstrap, topic, new Dictionary<string, string> { ["linger.ms"] = "20", ["batch.num.messages"] = "10000", ["queue.buffering.max.messages"] = "1000000" }))
            await producer.ProduceManyAsync(events);
        var rate = expected / clock.Elapsed.TotalSeconds;
        var (low, high) = Watermarks(topic);
        if (low != 0 || high != expected + already)
            throw new InvalidOperationException($"the mock broker kept offsets {low}..{high} of {expected + already} records in {topic}: too many per partition");
        return rate;
    }

    /// <summary>Σ low and Σ high watermarks over the partitions.</summary>
    public (long Low, long High) Watermarks(string topic)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = Bootstrap, GroupId = "wm-" + Guid.NewGuid().ToString("N")[..8] }).Build();
        long low = 0, high = 0;
        for (var p = 0; p < Partitions; p++)
        {
            var w = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10));
            low += w.Low.Value;
            high += w.High.Value;
        }

        return (low, high);
    }

    public async ValueTask DisposeAsync()
    {
        if (_pg is not null) await _pg.DisposeAsync();
        Broker.Dispose();
        try { Directory.Delete(WorkDir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Personalization.sln"))) return dir.FullName;
        throw new InvalidOperationException("run from inside the repository (no Personalization.sln found above)");
    }
}

/// <summary>Reads a group's committed offsets without joining it (never ListConsumerGroups: it crashes the mock broker).</summary>
public sealed class CommitWatcher : IDisposable
{
    private readonly IConsumer<Ignore, Ignore> _consumer;
    private readonly List<TopicPartition> _partitions;

    public CommitWatcher(string bootstrap, string group, string topic, int partitions)
    {
        _consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = group, EnableAutoCommit = false }).Build();
        _partitions = Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)).ToList();
    }

    /// <summary>Σ committed offsets (missing = 0).</summary>
    public long Committed() => _consumer.Committed(_partitions, TimeSpan.FromSeconds(10)).Sum(t => Math.Max(0, t.Offset.Value));

    /// <summary>Polls until Σ committed reaches <paramref name="target"/> or <paramref name="timeout"/> passes; returns the last Σ read.</summary>
    public async Task<long> WaitForAsync(long target, TimeSpan timeout, int pollMs = 200)
    {
        var clock = Stopwatch.StartNew();
        long committed;
        while ((committed = Committed()) < target && clock.Elapsed < timeout) await Task.Delay(pollMs);
        return committed;
    }

    public void Dispose() => _consumer.Dispose();
}

/// <summary>Process CPU and allocation deltas over a measured interval.</summary>
public readonly record struct ResourceSample(TimeSpan Cpu, long Allocated, int Gen0, int Gen1, int Gen2, long Ticks)
{
    public static ResourceSample Now()
    {
        using var p = Process.GetCurrentProcess();
        return new(p.TotalProcessorTime, GC.GetTotalAllocatedBytes(false), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), Stopwatch.GetTimestamp());
    }

    public Dictionary<string, double> Since(ResourceSample start, double events)
    {
        var wall = Stopwatch.GetElapsedTime(start.Ticks, Ticks).TotalSeconds;
        var cpu = (Cpu - start.Cpu).TotalSeconds;
        return new()
        {
            ["cpu_cores_used"] = Math.Round(cpu / wall, 2),
            ["cpu_us_per_event"] = events > 0 ? Math.Round(cpu * 1e6 / events, 2) : 0,
            ["alloc_bytes_per_event"] = events > 0 ? Math.Round((Allocated - start.Allocated) / events, 0) : 0,
            ["gen0"] = Gen0 - start.Gen0,
            ["gen1"] = Gen1 - start.Gen1,
            ["gen2"] = Gen2 - start.Gen2,
        };
    }
}
