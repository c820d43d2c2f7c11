using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Personalization.Actors.Events;
using Personalization.Actors.Kafka.Producers;
using Personalization.Actors.Routing;
using Personalization.Node.Hosting;
using Personalization.Node.Http;
using Personalization.Node.Local;
using Personalization.Tests.Infrastructure;
using Xunit;

namespace Personalization.Tests.Cluster;

/// <summary>
/// Three node processes on localhost sharing the embedded broker and a PostgreSQL database, configured through the
/// same environment contract as the Kubernetes pods (seed nodes = every node, first one first).
/// </summary>
public sealed class LocalClusterHarness : IAsyncDisposable
{
    public const int Partitions = 6;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);

    private readonly NodeOptions[] _options;
    private readonly LocalNodeProcess?[] _nodes;

    private LocalClusterHarness(NodeOptions[] options, string bootstrap, string topic)
    {
        _options = options;
        _nodes = new LocalNodeProcess?[options.Length];
        Bootstrap = bootstrap;
        Topic = topic;
    }

    public string Bootstrap { get; }

    public string Topic { get; }

    public IEnumerable<LocalNodeProcess> Live => _nodes.Where(n => n is { HasExited: false })!;

    public LocalNodeProcess Node(int i) => _nodes[i] ?? throw new InvalidOperationException($"node {i} is not running");

    /// <summary>The settings node <paramref name="i"/> starts with.</summary>
    public NodeOptions Options(int i) => _options[i];

    /// <param name="configure">Changes every node's settings after the harness's own (e.g. a shutdown budget, fault injection).</param>
    public static LocalClusterHarness Create(int nodes, string bootstrap, string topic, string connectionString, Action<NodeOptions>? configure = null)
    {
        // Ascending, so node 0 (the first seed, never stopped by the tests) has the lowest address: when a split leaves
        // two equal halves, keep-majority keeps the half with the lowest address, so the tests' node 0 survives ties.
        var ports = Enumerable.Range(0, nodes).Select(_ => FreePorts.Next()).Order().ToArray();
        var seeds = string.Join(',', ports.Select(p => $"akka.tcp://personalization@127.0.0.1:{p}"));
        var options = ports.Select(port =>
        {
            var o = TestNode.CreateOptions(bootstrap, topic, Partitions, "postgresql", connectionString);
            o.Cluster.Port = port;
            o.Cluster.SeedNodes = seeds;
            o.Cluster.StableAfterSeconds = 3;
            o.Kafka.RedeliveryTimeoutSeconds = 10;
            o.Sessions.CheckpointIntervalSeconds = 0.5;
            o.Http.QueryTimeoutMs = 1000; // the production budget: failover is where it matters
            configure?.Invoke(o);
            return o;
        }).ToArray();
        return new LocalClusterHarness(options, bootstrap, topic);
    }

    public async Task StartAllAsync() => await Task.WhenAll(Enumerable.Range(0, _options.Length).Select(StartAsync));

    public async Task StartAsync(int i)
    {
        _options[i].Http.Port = 0;
        _nodes[i] = await LocalNodeProcess.StartAsync($"node{i}", _options[i], ReadyTimeout);
    }

    public async Task StopAsync(int i) => await Node(i).StopAsync(TimeSpan.FromSeconds(60));

    public async Task KillAsync(int i) => await Node(i).KillAsync();

    /// <summary>The last lines each running node logged: what a failing test prints to say why.</summary>
    public string LogTails(int lines = 40) => string.Join("\n", Live.Select(n =>
        $"--- {n.Name} (pid {n.Id}), last {lines} lines:\n" + string.Join("\n", n.Log.Split('\n').TakeLast(lines))));

    /// <summary>What every live node says it consumes and hosts.</summary>
    public async Task<List<NodeShardsDto>> ShardsAsync()
    {
        var all = new List<NodeShardsDto>();
        foreach (var node in Live) all.Add((await node.Http.GetFromJsonAsync("/cluster/shards", ApiJsonContext.Default.NodeShardsDto))!);
        return all;
    }

    /// <summary>
    /// Waits until the live nodes split every partition between them and every user shard lives on the node that
    /// consumes its partition. Warms every shard first (one event per partition), so all of them exist.
    /// </summary>
    public async Task WaitUntilShardsFollowPartitionsAsync(TimeSpan timeout)
    {
        using var producer = new KafkaEventProducer(Bootstrap, Topic);
        await Eventually.AssertAsync(async () =>
        {
            var views = await ShardsAsync();
            Assert.Equal(Enumerable.Range(0, Partitions), views.SelectMany(v => v.Partitions).Order());
            await producer.ProduceManyAsync(Enumerable.Range(0, Partitions).Select(p => new ListeningEvent(WarmUser(p), "1", EventType.Skip, 0)));
            views = await ShardsAsync();
            Assert.Equal(Enumerable.Range(0, Partitions), views.SelectMany(v => v.Shards).Order());
            foreach (var view in views) Assert.Equal(view.Partitions, view.Shards);
        }, timeout, TimeSpan.FromSeconds(1));
    }

    /// <summary>A user id whose shard is <paramref name="partition"/> (not one of the workload's users).</summary>
    public static string WarmUser(int partition) => UserOfPartition(partition, "warm");

    /// <summary>The first user id "prefix-i" that murmur2 puts in <paramref name="partition"/>.</summary>
    public static string UserOfPartition(int partition, string prefix) =>
        Enumerable.Range(0, 100_000).Select(i => $"{prefix}-{i}").First(u => KafkaPartitioner.PartitionFor(u, Partitions) == partition);

    /// <summary>Sum over live nodes of events that reached their user on another node than the one that consumed them.</summary>
    public async Task<double> RemoteDeliveriesAsync()
    {
        var total = 0.0;
        foreach (var node in Live) total += Metric(await node.Http.GetStringAsync("/metrics"), "personalization_events_remote_total");
        return total;
    }

    private static double Metric(string text, string name)
    {
        var match = Regex.Match(text, $"^{name} (\\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
            if (node is not null) await node.DisposeAsync();
    }
}
